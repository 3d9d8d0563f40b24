/*
 * How members behave, scored, pure (time comes in as `now`). Each offence is evidence this peer checked
 * itself — an update every peer's validation leaves out, a commit that fails verification or comes out of
 * turn, a claim to be ahead that its chain does not back — and counts once per piece of evidence (its key).
 * A member whose points reach the threshold is ignored for the rest of the session. A token bucket per
 * member bounds how many commits this peer checks, whatever a member sends.
 */
export const OFFENCES = [
  'invalid-update',
  'forged-commit',
  'out-of-turn',
  'equivocation',
  'false-claim',
  'unfetchable-commit',
  'unmask-request',
  'roster',
  'double-vote',
] as const;
export type Offence = (typeof OFFENCES)[number];

/** Points at which a member is ignored (an honest member's rare slip stays far below). */
export const DEFAULT_IGNORE_AFTER_POINTS = 10;

/**
 * Points per offence. A commit out of turn is shown but costs nothing: an honest peer whose view of who is
 * live differs (a missed hello) commits out of turn too; the one commit a round it gets is the bound.
 */
const POINTS: Record<Offence, number> = {
  'invalid-update': 1,
  'forged-commit': 1,
  'out-of-turn': 0,
  equivocation: 1,
  'false-claim': 1,
  'unfetchable-commit': 1,
  // A refused unmask request (too few senders, a held vector called dropped, another set than one signed).
  'unmask-request': 1,
  // A roster leaving out an advert held in time: shown, not scored — an advert slowed beyond the grace by
  // the network makes an honest publisher look the same; the roster is refused either way.
  roster: 0,
  // Two signed votes for different commits of one round: proof, not suspicion — ignored at once.
  'double-vote': 0,
};
/** Offences that make a member ignored at once, whatever its points. */
const DISQUALIFYING: ReadonlySet<Offence> = new Set(['double-vote']);

export interface MemberConduct {
  peerId: string;
  points: number;
  offences: Partial<Record<Offence, number>>;
  /** When its points reached the threshold; null: still heard. */
  ignoredSinceMs: number | null;
}

/** Keys remembered per member to count each piece of evidence once (oldest forgotten first). */
const KEYS_PER_MEMBER = 1024;

export class MemberScores {
  private readonly members = new Map<string, MemberConduct & { keys: Set<string> }>();

  constructor(private readonly ignoreAfterPoints = DEFAULT_IGNORE_AFTER_POINTS) {}

  /** Counts `offence` by `peerId` once per `key`; true when this made the member ignored. */
  record(peerId: string, offence: Offence, key: string, now: number): boolean {
    const m = this.entry(peerId);
    const k = `${offence}\0${key}`;
    if (m.keys.has(k)) return false;
    m.keys.add(k);
    if (m.keys.size > KEYS_PER_MEMBER) m.keys.delete(m.keys.values().next().value!);
    m.offences[offence] = (m.offences[offence] ?? 0) + 1;
    m.points += POINTS[offence];
    if (DISQUALIFYING.has(offence)) m.points = Math.max(m.points, this.ignoreAfterPoints);
    if (m.ignoredSinceMs !== null || m.points < this.ignoreAfterPoints) return false;
    m.ignoredSinceMs = now;
    return true;
  }

  ignored(peerId: string): boolean {
    return (this.members.get(peerId)?.ignoredSinceMs ?? null) !== null;
  }

  /** Members with any offence, most points first, then by id. */
  snapshot(): MemberConduct[] {
    return [...this.members.values()]
      .map(({ keys: _, ...m }) => ({ ...m, offences: { ...m.offences } }))
      .sort((a, b) => b.points - a.points || (a.peerId < b.peerId ? -1 : 1));
  }

  private entry(peerId: string) {
    let m = this.members.get(peerId);
    if (m === undefined) {
      m = { peerId, points: 0, offences: {}, ignoredSinceMs: null, keys: new Set() };
      this.members.set(peerId, m);
    }
    return m;
  }
}

/** A token bucket per key: `burst` at once, refilled at `perSecond`. */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; atMs: number }>();

  constructor(
    private readonly burst: number,
    private readonly perSecond: number,
  ) {}

  /** Takes a token for `key` at `now`; false when none is left. */
  take(key: string, now: number): boolean {
    const b = this.buckets.get(key) ?? { tokens: this.burst, atMs: now };
    const tokens = Math.min(this.burst, b.tokens + ((now - b.atMs) / 1000) * this.perSecond);
    const ok = tokens >= 1;
    this.buckets.set(key, { tokens: ok ? tokens - 1 : tokens, atMs: now });
    return ok;
  }
}

/** A set that forgets its oldest entries past `capacity`, with an optional time to live (negative results). */
export class RecentSet {
  private readonly entries = new Map<string, number>();

  constructor(
    private readonly capacity: number,
    private readonly ttlMs = Infinity,
  ) {}

  add(key: string, now: number): void {
    this.entries.delete(key);
    this.entries.set(key, now);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }

  has(key: string, now: number): boolean {
    const at = this.entries.get(key);
    if (at === undefined) return false;
    if (now - at < this.ttlMs) return true;
    this.entries.delete(key);
    return false;
  }
}
