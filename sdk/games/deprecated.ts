// The names the games domain renamed in this release (docs/conventions.md), in one place so
// that the next release can delete them together. Each map goes to checkOptions (old → new);
// deprecatedField keeps a renamed field of a result readable under its old name.
//
//   mu, mus  → refPolicy, refPolicies   the reference policy μ (Munos et al. 2024; TRL ref_model)
//   reference → equilibrium             π*_β given to a solver for the KL and span metrics
//   gamma    → mixture                  weight of μ in the geometric mixture π^{1−γ}μ^γ
//   alpha    → beta                     MTPO's KL coefficient (α in Shani et al. 2024)
import { deprecationWarning, type Renames } from "../core/options.js";

/** `mu` → `refPolicy`. */
export const REF_POLICY: Renames = { mu: "refPolicy" };
/** `reference` → `equilibrium`. */
export const EQUILIBRIUM: Renames = { reference: "equilibrium" };
/** `gamma` → `mixture`. */
export const MIXTURE: Renames = { gamma: "mixture" };
/** `alpha` → `beta` (MTPO). */
export const KL_BETA: Renames = { alpha: "beta" };

/** Give `obj` a read-only, non-enumerable property `oldName` that returns `obj[newName]` and
 *  warns once per process (so JSON, spreads and test equality see only the new name). */
export function deprecatedField<T extends object>(obj: T, oldName: string, newName: keyof T & string, where: string): T {
  Object.defineProperty(obj, oldName, {
    configurable: true,
    enumerable: false,
    get(this: T) {
      deprecationWarning(`${where}:${oldName}`, `${where}: the field "${oldName}" is deprecated and will be removed in the next release; use "${newName}"`);
      return this[newName];
    },
  });
  return obj;
}
