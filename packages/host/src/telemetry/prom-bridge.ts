/**
 * The daemon's metrics (prom-client, served at /metrics) read into OpenTelemetry instruments at each
 * OTLP export, so one set of counters serves both: counters as observable counters, gauges as observable
 * gauges, histograms as their `_count` and `_sum` (OpenTelemetry has no observable histogram). Labels
 * become attributes unchanged.
 */
import type { Meter, Observable } from '@opentelemetry/api';
import type { Registry } from 'prom-client';

export function observePromRegistry(meter: Meter, registry: Registry): void {
  const instruments = new Map<string, Observable>();
  for (const m of registry.getMetricsAsArray()) {
    const { name, help } = m;
    const type = (m as unknown as { type: string }).type;
    if (type === 'counter') instruments.set(name, meter.createObservableCounter(name, { description: help }));
    else if (type === 'gauge')
      instruments.set(name, meter.createObservableGauge(name, { description: help }));
    else if (type === 'histogram') {
      instruments.set(`${name}_count`, meter.createObservableCounter(`${name}_count`, { description: help }));
      instruments.set(`${name}_sum`, meter.createObservableCounter(`${name}_sum`, { description: help }));
    }
  }
  meter.addBatchObservableCallback(
    async (result) => {
      for (const family of await registry.getMetricsAsJSON()) {
        for (const v of family.values) {
          // A histogram's values are its buckets, _sum and _count, each named by metricName.
          const name = (v as { metricName?: string }).metricName ?? family.name;
          const instrument = instruments.get(name);
          if (instrument) result.observe(instrument, v.value, v.labels as Record<string, string | number>);
        }
      }
    },
    [...instruments.values()],
  );
}
