// The real AWS CLI v2 from Debian (`apt-get install awscli`, installed by .ci/run), run as a child process
// against the fixture with fake credentials and nothing from the machine's own AWS setup.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Absolute: an older v1 `aws` may come first on PATH (pyenv), and v1 answers with other exit codes.
export const AWS = '/usr/bin/aws';

export interface AwsResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface AwsCli {
  /** The environment every run gets: fake credentials, the region, temporary config files, no pager. */
  env: Record<string, string>;
  /** Runs `aws ARGS --endpoint-url URL`. */
  run(args: string[], env?: Record<string, string>): Promise<AwsResult>;
  cleanup(): void;
}

export function awsCli(endpointUrl: string): AwsCli {
  const home = mkdtempSync(join(tmpdir(), 'ec2-endpoint-aws-'));
  const config = join(home, 'config');
  const credentials = join(home, 'credentials');
  writeFileSync(config, '');
  writeFileSync(credentials, '');
  const baseEnv = {
    PATH: '/usr/bin:/bin',
    HOME: home,
    AWS_CONFIG_FILE: config,
    AWS_SHARED_CREDENTIALS_FILE: credentials,
    // The example key pair of the AWS documentation: fake, and recognisable as such.
    AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    AWS_REGION: 'ap-northeast-1',
    AWS_PAGER: '',
    // One attempt: a retry is the test's (or the executor's) decision, never the CLI's behind its back.
    AWS_MAX_ATTEMPTS: '1',
  };
  return {
    env: baseEnv,
    run: (args, env = {}) =>
      new Promise((resolve) => {
        execFile(
          AWS,
          [...args, '--endpoint-url', endpointUrl],
          { env: { ...baseEnv, ...env }, timeout: 120_000 },
          (err, stdout, stderr) => {
            const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
            resolve({ code, stdout, stderr });
          },
        );
      }),
    cleanup: () => rmSync(home, { recursive: true, force: true }),
  };
}
