// Placeholder until the scorer lands: see the care-js branch.
export function scoreInstrument(def, responses) {
  return { error: { kind: 'unavailable', item: null } };
}
