import { type ProgressLayout, progressView } from "@fanout/progress";

interface Counts {
  done: number;
  total: number;
}

const layout: ProgressLayout<Counts> = {
  total: (c) => c.total,
  done: (c) => c.done,
  barFormat: "{bar} {percentage}% | {done}/{total}",
  tokens: (c) => ({ done: c.done, total: c.total }),
  line: (c) => `${c.done}/${c.total} done`,
  everyMs: 1_000,
};

// A bar on a terminal; in a pipe or a CI log, a line at most once a second and always the last one.
const view = progressView(process.stdout, layout);
for (let done = 0; done <= 100; done += 1) view.update({ done, total: 100 });
view.stop();
