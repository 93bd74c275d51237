// mailauth 4 ships no types; the tests use only its DKIM verifier.
declare module 'mailauth/lib/dkim/verify.js' {
  export function dkimVerify(
    input: Buffer,
    options: { resolver: (name: string, type: string) => Promise<string[][]> },
  ): Promise<unknown>;
}
