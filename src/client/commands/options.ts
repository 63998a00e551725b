/** Option parsers shared by the commands. */

/** A whole number >= 0, with a message naming the option. */
export function int(name: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number, got "${v}"`);
    return n;
  };
}

export const print = (line: string) => process.stdout.write(`${line}\n`);
