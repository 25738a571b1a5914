/**
 * Asking before removing (approval.ts), without a terminal: the answer is
 * read from a fake input stream, and the decision whether to ask at all is
 * given who is there (interactive) and what the plan removes.
 */
import t from "tap";
import { PassThrough } from "node:stream";
import { approvalQuestion, approver, confirm, removals } from "../../src/cli/approval.js";
import { planChanges, type Plan } from "../../src/reconcile/index.js";
import { NETNS, desiredHook, liveHook, nf, untouchedHook } from "../plan/fixtures.js";

/** What confirm() makes of `typed` (undefined: the input ends before a line), and what it wrote. */
async function answer(typed: string | undefined): Promise<{ approved: boolean; written: string }> {
  const input = new PassThrough();
  const output = new PassThrough();
  let written = "";
  output.on("data", (chunk: Buffer) => (written += chunk.toString()));
  const approved = confirm("Enter a value: ", { input, output, terminal: false });
  if (typed === undefined) input.end();
  else input.write(typed);
  return { approved: await approved, written };
}

t.test("only 'yes' approves; y, no, anything else and the end of input decline", async (t) => {
  t.same(await answer("yes\n"), { approved: true, written: "Enter a value: " });
  t.equal((await answer("  yes \n")).approved, true, "spaces around it aside");
  for (const typed of ["y\n", "no\n", "YES\n", "yes please\n", "\n"]) t.equal((await answer(typed)).approved, false, JSON.stringify(typed));
  t.same(await answer(undefined), { approved: false, written: "Enter a value: \n" }, "EOF (Ctrl-D) declines, and ends the prompt's line");
});

const [a, b, c] = [nf("a"), nf("b"), nf("c")];
const observed = (hooks: ReturnType<typeof liveHook>[]) => ({ root: "/r", netns: NETNS, hooks });
/** Stops b on eth1 and detaches eth2's hook. */
const removing: Plan = planChanges(
  { files: [], hooks: [desiredHook("eth1", "xdp", [a])] },
  observed([liveHook("eth1", "xdp", [a, b]), liveHook("eth2", "xdp", [c])]),
);
/** Only starts. */
const starting: Plan = planChanges({ files: [], hooks: [desiredHook("eth1", "xdp", [a])] }, observed([untouchedHook("eth1", "xdp")]));
/** Starts, and (--force) removes two programs another tool attached to the hook. */
const forcing: Plan = {
  ...starting,
  force: true,
  hooks: starting.hooks.map((h) => ({
    ...h,
    removeForeign: [
      { id: 41, name: "xdp_other" },
      { id: 42, name: "xdp_else" },
    ],
  })),
};

t.test("what a plan removes, and the question that says it", async (t) => {
  t.same(removals(removing), { stops: 2, detaches: 1, foreign: 0 });
  t.same(removals(starting), { stops: 0, detaches: 0, foreign: 0 });
  t.same(removals(forcing), { stops: 0, detaches: 0, foreign: 2 });
  t.equal(
    approvalQuestion(removals(removing)),
    "\nDo you want to perform these actions?\n  nfctl will stop 2 network functions and detach 1 hook.\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ",
  );
  t.match(approvalQuestion({ stops: 1, detaches: 0, foreign: 0 }), /nfctl will stop 1 network function\.\n/);
  t.match(approvalQuestion({ stops: 0, detaches: 2, foreign: 0 }), /nfctl will detach 2 hooks\.\n/);
  t.match(approvalQuestion({ stops: 0, detaches: 0, foreign: 1 }), /nfctl will remove 1 program another tool attached\.\n/);
  t.match(
    approvalQuestion({ stops: 1, detaches: 1, foreign: 2 }),
    /nfctl will stop 1 network function, detach 1 hook and remove 2 programs other tools attached\.\n/,
  );
});

/** Runs approver's decision; says whether it asked, approved and held signals. */
async function decide(plan: Plan, options: { autoApprove?: boolean; interactive: boolean; json?: boolean; says?: boolean }) {
  const asked: string[] = [];
  let held = false;
  const approve = approver({
    autoApprove: options.autoApprove === true,
    json: options.json === true,
    interactive: options.interactive,
    interrupts: { hold: () => (held = true) },
    ask: async (question) => {
      asked.push(question);
      return options.says ?? false;
    },
  });
  const approved = await approve(plan);
  return { asked: asked.length, approved, held };
}

t.test("on a terminal a removing plan is asked about, and signals are held only once approved", async (t) => {
  t.same(
    await decide(forcing, { interactive: true, says: false }),
    { asked: 1, approved: false, held: false },
    "--force removing another tool's programs is asked about",
  );
  t.same(await decide(removing, { interactive: true, says: true }), { asked: 1, approved: true, held: true });
  t.same(await decide(removing, { interactive: true, says: false }), { asked: 1, approved: false, held: false }, "declined: no hold, no change");
});

t.test("nothing is asked: a plan that only starts, --auto-approve (or a saved plan), no terminal", async (t) => {
  t.same(await decide(starting, { interactive: true }), { asked: 0, approved: true, held: true });
  t.same(await decide(removing, { interactive: true, autoApprove: true }), { asked: 0, approved: true, held: true });
  t.same(await decide(removing, { interactive: false }), { asked: 0, approved: true, held: true }, "without a terminal, as before");
});

t.test("-o json on a terminal cannot ask about a removing plan: refused, with the way out", async (t) => {
  await t.rejects(decide(removing, { interactive: true, json: true }), {
    message:
      "-o json cannot show the plan before asking whether to stop network functions, detach hooks or remove other tools' programs: add --auto-approve; nothing was changed",
  });
  t.same(await decide(starting, { interactive: true, json: true }), { asked: 0, approved: true, held: true });
  t.same(await decide(removing, { interactive: false, json: true }), { asked: 0, approved: true, held: true });
});
