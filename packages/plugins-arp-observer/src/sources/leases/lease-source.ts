import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { ParseResult } from '../parse-result.js';
import { parseDnsmasqLeases } from './dnsmasq.js';
import { parseIscDhcpdLeases } from './isc-dhcpd.js';
import { keaLeaseFiles, parseKeaLeases } from './kea-csv.js';
import { type Lease, type LeaseServer, latestPerAddress } from './lease.js';

export interface LeaseSource {
  server: LeaseServer;
  path: string;
}

const PARSERS: Record<LeaseServer, (text: string) => ParseResult<Lease>> = {
  dnsmasq: parseDnsmasqLeases,
  iscDhcpd: parseIscDhcpdLeases,
  kea: parseKeaLeases,
};

/** The files that make up a source's current leases, oldest first. */
export function leaseSourceFiles(source: LeaseSource): string[] {
  return source.server === 'kea' ? keaLeaseFiles(source.path, existsSync) : [source.path];
}

export interface LeaseRead extends ParseResult<Lease> {
  /** The main file does not exist (yet): no leases, which is not an error. */
  missing: boolean;
}

/** Read and parse a source's files; the last record per address wins across and within files. */
export async function readLeaseSource(source: LeaseSource): Promise<LeaseRead> {
  const parse = PARSERS[source.server];
  const all: Lease[] = [];
  let skipped = 0;
  const samples: string[] = [];
  let missing = false;
  for (const file of leaseSourceFiles(source)) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      // A sibling may vanish between listing and reading (LFC renames); only the main file matters.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        if (file === source.path) missing = true;
        continue;
      }
      throw err;
    }
    const r = parse(text);
    all.push(...r.records);
    skipped += r.skipped;
    samples.push(...r.samples);
  }
  return { records: latestPerAddress(all), skipped, samples: samples.slice(0, 3), missing };
}
