/** The error `run` throws or rejects with; undefined when it returns, so that a check of it fails. */
export async function caught(run: () => unknown): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  return undefined;
}
