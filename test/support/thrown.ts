/** The error a call throws, or undefined: for assertions on a thrown error's class and message together. */
export function thrownBy(act: () => unknown): Error | undefined {
  try {
    act();
    return undefined;
  } catch (error) {
    return error as Error;
  }
}
