export function generateStore(dir: string, n?: number, opts?: { chain?: number; fan?: number }): { count: number; chainHead: string; chainRoot: string; fanData: string };
