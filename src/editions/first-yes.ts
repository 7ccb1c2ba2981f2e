/** What one rule's questions came to: a yes, an outage, or a no with every answer given. */
export type RuleAnswer<T, Yes extends T> =
  | { readonly kind: "yes"; readonly value: Yes }
  | { readonly kind: "outage"; readonly error: unknown }
  | { readonly kind: "no"; readonly answers: readonly T[] };

/**
 * One rule's questions, asked at once and all settled (no request of the rule is still out when it
 * answers), read in the rule's order: the first answer that `isYes` passes wins; otherwise the
 * first failure, which might have been the yes, is an outage (never taken for a no); otherwise no.
 * Both editions read their `allow` rules this way.
 */
export async function firstYes<T, Yes extends T>(
  questions: readonly Promise<T>[],
  isYes: (answer: T) => answer is Yes,
): Promise<RuleAnswer<T, Yes>> {
  const settled = await Promise.allSettled(questions);
  const answers: T[] = settled.flatMap((s) => (s.status === "fulfilled" ? [s.value as T] : []));
  const yes = answers.find(isYes);
  if (yes !== undefined) return { kind: "yes", value: yes };
  const failed = settled.find((s) => s.status === "rejected");
  if (failed?.status === "rejected") return { kind: "outage", error: failed.reason };
  return { kind: "no", answers };
}
