/** A Map that forgets its oldest entry past `limit`. */
export function bounded<V>(limit: number) {
  const map = new Map<string, V>();
  return {
    get: (key: string) => map.get(key),
    set(key: string, value: V) {
      map.delete(key);
      map.set(key, value);
      if (map.size > limit) map.delete(map.keys().next().value as string);
    },
    delete: (key: string) => void map.delete(key),
  };
}
