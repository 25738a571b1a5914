/**
 * Asking before removing, as `terraform apply` does. `apply` converges the
 * whole network namespace on the files it is given, so a file left out
 * stops NFs; on a terminal, a plan that stops NFs, detaches hooks or
 * (--force) removes other tools' programs is carried out only after the
 * user types "yes". Without a terminal (CI, a
 * script, a pipe) nothing is asked, as before; `--auto-approve` skips the
 * question; a saved plan (`nfctl apply plan.json`) is not asked about
 * either, as terraform does not: it was reviewed when it was saved.
 *
 * @example
 *     const approve = approver({ autoApprove: false, json: false, interrupts });
 *     await reconcileOnce(request, { ...options, approve }); // outcome.declined when not approved
 */
import { createInterface } from "node:readline";
import type { Plan } from "../reconcile/index.js";
import type { Interrupts } from "./interrupts.js";

/** What a plan takes away: NFs stopped, hooks detached, and (--force) programs other tools attached. */
export interface Removals {
  stops: number;
  detaches: number;
  foreign: number;
}

export function removals(plan: Plan): Removals {
  return {
    stops: plan.summary.stop,
    detaches: plan.hooks.filter((h) => h.commit === "detach").length,
    foreign: plan.hooks.reduce((n, h) => n + h.removeForeign.length, 0),
  };
}

/** Whether a plan takes anything away, and so is asked about on a terminal. */
const removesAnything = ({ stops, detaches, foreign }: Removals) => stops + detaches + foreign > 0;

const counted = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/**
 * The question, as terraform words it.
 *
 * @example
 *     approvalQuestion({ stops: 2, detaches: 1, foreign: 0 })
 *     // "\nDo you want to perform these actions?\n  nfctl will stop 2 network functions and detach 1 hook.\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: "
 */
export function approvalQuestion({ stops, detaches, foreign }: Removals): string {
  const parts = [
    ...(stops > 0 ? [`stop ${counted(stops, "network function", "network functions")}`] : []),
    ...(detaches > 0 ? [`detach ${counted(detaches, "hook", "hooks")}`] : []),
    ...(foreign > 0 ? [`remove ${foreign === 1 ? "1 program another tool attached" : `${foreign} programs other tools attached`}`] : []),
  ];
  const what = parts.length <= 2 ? parts.join(" and ") : `${parts.slice(0, -1).join(", ")} and ${parts.at(-1)!}`;
  return `\nDo you want to perform these actions?\n  nfctl will ${what}.\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: `;
}

/** Whether stdin and stdout are both terminals: a person is there to answer. */
export function interactive(): boolean {
  return process.stdin.isTTY && process.stdout.isTTY;
}

/**
 * Asks `question` on `output` and reads one line from `input`: true for
 * "yes" (spaces around it aside), false for anything else, for the end of
 * input (Ctrl-D) and for Ctrl-C.
 *
 * @example
 *     if (!(await confirm(approvalQuestion(r), { input: process.stdin, output: process.stdout }))) throw new Error("cancelled");
 */
export function confirm(question: string, io: { input: NodeJS.ReadableStream; output: NodeJS.WritableStream; terminal?: boolean }): Promise<boolean> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: io.input, output: io.output, ...(io.terminal !== undefined && { terminal: io.terminal }) });
    let answered = false;
    const answer = (yes: boolean) => {
      if (answered) return;
      answered = true;
      rl.close();
      resolve(yes);
    };
    rl.question(question, (line) => answer(line.trim() === "yes"));
    // Ctrl-C in a terminal reaches readline as a key, not as a signal; Ctrl-D ends the input.
    rl.on("SIGINT", () => {
      io.output.write("\n");
      answer(false);
    });
    rl.on("close", () => {
      if (!answered) io.output.write("\n");
      answer(false);
    });
  });
}

export interface ApproverOptions {
  /** --auto-approve, or a saved plan: never ask. */
  autoApprove: boolean;
  /** -o json: the plan is not shown before the question, so nfctl cannot ask. */
  json: boolean;
  interrupts: Interrupts;
  /** Whether someone can answer (default: stdin and stdout are terminals). */
  interactive?: boolean;
  /** How to ask (default: confirm on stdin and stdout). */
  ask?: (question: string) => Promise<boolean>;
}

/**
 * reconcileOnce's `approve` for apply and destroy: asks when a person is
 * there and the plan removes something, and holds signals once approved
 * (a Ctrl-C at the question declines; after it, it waits for the apply).
 */
export function approver(options: ApproverOptions): (plan: Plan) => Promise<boolean> {
  const ask = options.ask ?? ((question: string) => confirm(question, { input: process.stdin, output: process.stdout }));
  return async (plan) => {
    const removed = removals(plan);
    const asks = !options.autoApprove && (options.interactive ?? interactive()) && removesAnything(removed);
    if (asks && options.json)
      throw new Error(
        "-o json cannot show the plan before asking whether to stop network functions, detach hooks or remove other tools' programs: add --auto-approve; nothing was changed",
      );
    const approved = !asks || (await ask(approvalQuestion(removed)));
    if (approved) options.interrupts.hold();
    return approved;
  };
}
