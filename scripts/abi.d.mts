// Types of scripts/abi.mjs for the tests that import it.
/** Where the generated file lives, relative to the repository root. */
export declare const OUTPUT: string;
/** The text of sdk/engine/abi.ts for the sources under `root` (default: this repository). */
export declare function generateAbi(root?: string): string;
