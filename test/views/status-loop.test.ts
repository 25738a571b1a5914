/**
 * How `nfctl status` shows the watch loop's state: running, stopped (it
 * recorded its stop), or gone without stopping (its pid is not alive).
 */
import t from "tap";
import { renderStatus } from "../../src/cli/views/status-text.js";
import { colorsFor } from "../../src/cli/colors.js";
import type { LoopStatus } from "../../src/controller/index.js";
import type { StatusReport } from "../../src/reconcile/index.js";

const plain = colorsFor({ isTTY: false } as NodeJS.WriteStream, {});
const report = { hooks: [], foreign: [] } as unknown as StatusReport;
const loop: LoopStatus = { formatVersion: 1, source: { kind: "git", url: "file:///r.git" }, conditions: [], reconciles: 3, pid: 4242 };
const head = (text: string) => text.split("\n")[0];

t.test("the loop's first line says whether it runs", async (t) => {
  t.equal(head(renderStatus(report, plain, loop, () => true)), "watch (pid 4242) of git file:///r.git");
  t.equal(
    head(renderStatus(report, plain, { ...loop, stoppedAt: "2026-12-01T10:00:00.000Z" }, () => false)),
    "watch (pid 4242, stopped at 2026-12-01T10:00:00.000Z) of git file:///r.git",
  );
  t.equal(head(renderStatus(report, plain, loop, () => false)), "watch (pid 4242, not running: it ended without stopping) of git file:///r.git");
});
