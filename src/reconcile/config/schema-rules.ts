/**
 * The config schema's rules for values that other inputs hold too (a saved
 * plan names NFs, programs, maps and interfaces), taken from
 * schemas/nfconfig.schema.json rather than copied, with the schema's own
 * words for a value that breaks one.
 *
 * @example
 *     NF_NAME.pattern.test("Edge") // false
 *     NF_NAME.rule                 // 'must be 1 to 63 lowercase letters, digits, "-" or "_", starting and ending with a letter or digit'
 */
import { definitions } from "./schema-validator.js";

/** A pattern of the schema and what it says to a value that does not match it. */
export interface PatternRule {
  pattern: RegExp;
  rule: string;
}

// ajv tests patterns with the "u" flag; so must we, for the same answers.
const rule = (def: { pattern: string; patternErrorMessage: string }): PatternRule => ({ pattern: new RegExp(def.pattern, "u"), rule: def.patternErrorMessage });

export const NF_NAME = rule(definitions.name);
export const PROGRAM_NAME = rule(definitions.program);
export const MAP_NAME = rule(definitions.maps.propertyNames);
export const INTERFACE_NAME = rule(definitions.interface.properties.name);

/** The most NFs a chain holds (a chain is made of tail calls). */
export const MAX_CHAIN_LENGTH: number = definitions.xdpHook.properties.chain.maxItems;

/** The verdicts an NF may proceed on, by the kind of its hook. */
export const XDP_VERDICTS: readonly string[] = definitions.xdpVerdict.enum;
export const TC_VERDICTS: readonly string[] = definitions.tcVerdict.enum;
