import { describe, expect, it, vi } from "vitest";
import { checkOptions, closestName, editDistance } from "../sdk/core/options.js";
import { ValueError, ShapeError, SeqlearnError } from "../sdk/core/errors.js";

describe("option checks", () => {
  it("edit distance matches hand-computed cases", () => {
    expect(editDistance("", "")).toBe(0);
    expect(editDistance("gama", "gamma")).toBe(1);
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("qbar", "qbar")).toBe(0);
    expect(editDistance("abc", "")).toBe(3);
  });

  it("suggests the closest name only when it is a plausible typo", () => {
    expect(closestName("gama", ["gamma", "eps", "qbar"])).toBe("gamma");
    expect(closestName("EPS", ["gamma", "eps"])).toBe("eps");
    expect(closestName("maxDictonary", ["maxDictionary", "batch"])).toBe("maxDictionary");
    expect(closestName("zzzzzz", ["gamma", "eps"])).toBeNull();
  });

  it("passes known keys through and rejects unknown ones naming the closest", () => {
    expect(checkOptions({ gamma: 1, eps: 0.5 }, "Squeak", ["gamma", "eps"])).toEqual({ gamma: 1, eps: 0.5 });
    expect(checkOptions(undefined, "Squeak", ["gamma"])).toEqual({});
    expect(() => checkOptions({ gama: 1 }, "Squeak", ["gamma", "eps"])).toThrow(ValueError);
    expect(() => checkOptions({ gama: 1 }, "Squeak", ["gamma", "eps"])).toThrow(/unknown option "gama"; did you mean "gamma"\?/);
    expect(() => checkOptions({ wholly: 1 }, "Squeak", ["gamma"])).toThrow(/unknown option "wholly" \(valid options: gamma\)/);
    expect(() => checkOptions(null, "Squeak", ["gamma"])).toThrow(/options must be an object, got null/);
    expect(() => checkOptions([1], "Squeak", ["gamma"])).toThrow(/got an array/);
  });

  it("maps a deprecated name to the new one with one warning, and refuses both", () => {
    const warn = vi.spyOn(process, "emitWarning").mockImplementation(() => undefined);
    try {
      const o = checkOptions<{ lambda?: number }>({ gamma: 2 }, "test.renames", ["lambda"], { gamma: "lambda" });
      expect(o).toEqual({ lambda: 2 });
      checkOptions({ gamma: 3 }, "test.renames", ["lambda"], { gamma: "lambda" });
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0][0])).toMatch(/"gamma" is deprecated.*use "lambda"/);
      expect(() => checkOptions({ gamma: 2, lambda: 1 }, "test.renames", ["lambda"], { gamma: "lambda" })).toThrow(/give "lambda" or its deprecated name "gamma", not both/);
      // A typo of the old name points at the new name.
      expect(() => checkOptions({ gama: 2 }, "test.renames", ["lambda"], { gamma: "lambda" })).toThrow(/did you mean "lambda"/);
    } finally {
      warn.mockRestore();
    }
  });

  it("errors have fixed names that survive renaming of their classes", () => {
    const e = new ShapeError("x");
    expect(e.name).toBe("ShapeError");
    expect(e).toBeInstanceOf(SeqlearnError);
    class MyError extends SeqlearnError {}
    expect(new MyError("y").name).toBe("MyError");
  });
});
