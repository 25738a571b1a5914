/**
 * Errors as data, for `-o json`: what errors.ts words for a person, as a
 * list of diagnostics that editors and CI annotations read (file, line,
 * column, field path, a stable code, a message), after the diagnostics of
 * Terraform's -json.
 */
import { CommanderError } from "commander";
import {
  ApplyError,
  ChainError,
  ConfigErrors,
  LibraryError,
  NativeError,
  PlanRefusedError,
  StalePlanError,
  StateMismatchError,
  readable,
  type ConfigError,
  type ConfigErrorCode,
} from "../reconcile/index.js";
import { SourceError } from "../sources/snapshot.js";
import { ArtifactError } from "../sources/artifacts/errors.js";
import type { CodeProblem } from "../state/code-source.js";
import { toJson } from "./views/json.js";
import { APPLY_UNDONE } from "./errors.js";

/** The codes of problems that are not in a config (ConfigErrorCode's are); an image or artifact a command fetched itself (nfctl image) has its CodeProblem. */
export type CommandErrorCode =
  | CodeProblem
  | "usage"
  | "source-failed"
  | "source-verification-failed"
  | "library-missing"
  | "native"
  | "chain-rule"
  | "plan-refused"
  | "plan-stale"
  | "plan-state-mismatch"
  | "apply-undone"
  | "apply-undo-failed"
  | "error";

export interface Diagnostic {
  /** The config file as given (or "<stdin>"); null when the problem is in no file. */
  file: string | null;
  /** 1-based; 0 when the problem concerns a whole file, or no file. */
  line: number;
  column: number;
  /** The field path in the file, e.g. "spec.interfaces[0].xdp.chain[1].program"; "" for none. */
  path: string;
  code: ConfigErrorCode | CommandErrorCode;
  severity: "error";
  /** One line. */
  message: string;
  /** Where the kernel refused: the call's symbolic errno ("EPERM"), and the verifier's log when a load failed. */
  errno?: string;
  verifierLog?: string;
}

/**
 * A config error as a diagnostic: its message alone (the file and position
 * are fields), as readable as formatConfigError makes it.
 *
 * @example
 *     configDiagnostic({ file: "edge.yaml", line: 9, column: 13, path: "spec.interfaces[0]", code: "schema-required", message: '"name" is required' })
 *     // { file: "edge.yaml", line: 9, column: 13, path: "spec.interfaces[0]", code: "schema-required", severity: "error", message: '"name" is required' }
 */
export function configDiagnostic(error: ConfigError): Diagnostic {
  return {
    file: error.file,
    line: error.line,
    column: error.column,
    path: readable(error.path),
    code: error.code,
    severity: "error",
    message: readable(error.message),
  };
}

/**
 * Any error a command ends with, as diagnostics: one per config problem, or
 * one for the error (an apply that failed: its cause's, then what was undone).
 *
 * @example
 *     diagnosticsOf(new Error("--object-path /x: not a directory"))
 *     // [{ file: null, line: 0, column: 0, path: "", code: "error", severity: "error", message: "--object-path /x: not a directory" }]
 */
export function diagnosticsOf(err: unknown): Diagnostic[] {
  if (err instanceof ConfigErrors) return err.errors.map(configDiagnostic);
  if (err instanceof ApplyError) {
    const undone = err.rollbackFailures.length === 0;
    const outcome = undone
      ? APPLY_UNDONE
      : `apply failed, and undoing it failed too: ${err.rollbackFailures.join("; ")}; run nfctl status to see the state, and nfctl apply again to converge`;
    return [...diagnosticsOf(err.cause), commandDiagnostic(undone ? "apply-undone" : "apply-undo-failed", outcome)];
  }
  if (err instanceof NativeError) {
    return [{ ...commandDiagnostic("native", err.message), errno: err.code, ...(err.verifierLog && { verifierLog: err.verifierLog }) }];
  }
  if (err instanceof CommanderError) return [commandDiagnostic("usage", err.message.replace(/^error: /, ""))];
  if (err instanceof SourceError) return [commandDiagnostic(err.reason === "VerificationFailed" ? "source-verification-failed" : "source-failed", err.message)];
  if (err instanceof ArtifactError) return [commandDiagnostic(err.code, err.message)];
  if (err instanceof LibraryError) return [commandDiagnostic("library-missing", err.message)];
  if (err instanceof ChainError) return [commandDiagnostic("chain-rule", err.message)];
  if (err instanceof PlanRefusedError) return [commandDiagnostic("plan-refused", err.message)];
  if (err instanceof StalePlanError) return [commandDiagnostic("plan-stale", err.message)];
  if (err instanceof StateMismatchError) return [commandDiagnostic("plan-state-mismatch", err.message)];
  return [commandDiagnostic("error", err instanceof Error ? err.message : String(err))];
}

/**
 * The JSON document of a command that failed with `-o json`: the envelope of
 * views/json.ts, kind "Error".
 *
 * @example
 *     errorDocument(new Error("-f and --git are mutually exclusive: give one source of the config"))
 *     // '{\n  "formatVersion": 1,\n  "kind": "Error",\n  "diagnostics": [ { "file": null, ..., "code": "error", ... } ]\n}\n'
 */
export function errorDocument(err: unknown): string {
  return toJson("Error", { diagnostics: diagnosticsOf(err) });
}

function commandDiagnostic(code: CommandErrorCode, message: string): Diagnostic {
  return { file: null, line: 0, column: 0, path: "", code, severity: "error", message: readable(message) };
}
