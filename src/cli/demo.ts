/** `spillway demo`: placeholder until the data generator lands. */
export async function demoCommand(_argv: string[]): Promise<number> {
  return 0;
}
