// Types of cost-table.mjs, for the cost test (TypeScript) that imports it.
type Counts = Record<string, number>;
export const PRICES: Record<string, number | string | Record<string, string>>;
export const COUNT_HEADS: Record<string, string>;
export function perKind(lives: Record<string, Counts>): Record<string, Counts>;
export function countsTable(lives: Record<string, Counts>): string;
export function perKindTable(lives: Record<string, Counts>): string;
export function dollarsTable(lives: Record<string, Counts>, assumptions: Record<string, number>): string;
