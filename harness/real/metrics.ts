// A small Prometheus text-format registry: counters, gauges (read when
// scraped) and histograms with fixed buckets. No dependency, no labels beyond
// what /metrics needs.

type Labels = { [name: string]: string };

function labelText(labels: Labels | undefined): string {
  if (labels === undefined) return "";
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`);
  return parts.length === 0 ? "" : `{${parts.join(",")}}`;
}

function num(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

export class Counter {
  value = 0;
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(by = 1): void {
    this.value += by;
  }
}

/** Observations in fixed buckets; histograms of one name with different labels render as one family. */
export class Histogram {
  readonly counts: number[];
  sum = 0;
  count = 0;
  constructor(
    readonly name: string,
    readonly help: string,
    /** Upper bounds, ascending. */
    readonly buckets: readonly number[],
    readonly labels: Labels = {},
  ) {
    this.counts = buckets.map(() => 0);
  }
  observe(v: number): void {
    this.sum += v;
    this.count++;
    for (let i = 0; i < this.buckets.length; i++) {
      if (v <= this.buckets[i]) {
        this.counts[i]++;
        break;
      }
    }
  }
}

/** A gauge read at scrape time; it may yield several labelled samples. */
export interface Gauge {
  name: string;
  help: string;
  read(): number | { labels: Labels; value: number }[];
}

/** Latency buckets in seconds, from 100 µs to 10 s. */
export const LATENCY_BUCKETS_S: readonly number[] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class Registry {
  private readonly counters: Counter[] = [];
  private readonly histograms: Histogram[] = [];
  private readonly gauges: Gauge[] = [];

  counter(name: string, help: string): Counter {
    const c = new Counter(name, help);
    this.counters.push(c);
    return c;
  }

  histogram(name: string, help: string, buckets: readonly number[] = LATENCY_BUCKETS_S, labels: Labels = {}): Histogram {
    const h = new Histogram(name, help, buckets, labels);
    this.histograms.push(h);
    return h;
  }

  gauge(name: string, help: string, read: Gauge["read"]): void {
    this.gauges.push({ name, help, read });
  }

  /** The Prometheus text exposition format (version 0.0.4). */
  render(): string {
    const out: string[] = [];
    for (const c of this.counters) {
      out.push(`# HELP ${c.name} ${c.help}`, `# TYPE ${c.name} counter`, `${c.name} ${num(c.value)}`);
    }
    for (const g of this.gauges) {
      out.push(`# HELP ${g.name} ${g.help}`, `# TYPE ${g.name} gauge`);
      const v = g.read();
      if (typeof v === "number") out.push(`${g.name} ${num(v)}`);
      else for (const s of v) out.push(`${g.name}${labelText(s.labels)} ${num(s.value)}`);
    }
    const described = new Set<string>();
    for (const h of this.histograms) {
      if (!described.has(h.name)) {
        described.add(h.name);
        out.push(`# HELP ${h.name} ${h.help}`, `# TYPE ${h.name} histogram`);
      }
      let cumulative = 0;
      for (let i = 0; i < h.buckets.length; i++) {
        cumulative += h.counts[i];
        out.push(`${h.name}_bucket${labelText({ ...h.labels, le: num(h.buckets[i]) })} ${cumulative}`);
      }
      const l = labelText(h.labels);
      out.push(`${h.name}_bucket${labelText({ ...h.labels, le: "+Inf" })} ${h.count}`, `${h.name}_sum${l} ${num(h.sum)}`, `${h.name}_count${l} ${h.count}`);
    }
    return out.join("\n") + "\n";
  }
}
