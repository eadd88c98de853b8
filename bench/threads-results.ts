// What bench/threads-suite.ts measures, as bench/results.json and bench/results-threads.json store it.

export interface ThreadRow { workload: string; unit: string; values: number[] }
export interface ThreadResults {
  date: string;
  machine: string;
  counts: number[];
  quick: boolean;
  build: 'plain' | 'relaxed';
  rows: ThreadRow[];
}
