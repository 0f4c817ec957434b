namespace VirtualDiskManaged.Tests.Hostile.Fuzzing;

/// <summary>
/// A small deterministic generator (SplitMix64): the same seed gives the same mutants on every runtime and OS,
/// so a failure found by a soak can be replayed from its seed alone.
/// </summary>
internal struct Prng
{
    private ulong _state;

    public Prng(ulong seed) => _state = seed;

    /// <summary>Mixes several values into one seed (seed image, iteration, base seed).</summary>
    public static ulong Mix(ulong a, ulong b)
    {
        var p = new Prng(a ^ (b * 0x9E3779B97F4A7C15UL));
        p.NextULong();
        return p.NextULong() ^ b;
    }

    public ulong NextULong()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A value in [0, max) (max &gt; 0).</summary>
    public int Next(int max) => (int)(NextULong() % (ulong)max);

    /// <summary>A value in [0, max) (max &gt; 0).</summary>
    public long NextLong(long max) => (long)(NextULong() % (ulong)max);

    /// <summary>True with probability percent/100.</summary>
    public bool Chance(int percent) => Next(100) < percent;

    public T Pick<T>(IReadOnlyList<T> items) => items[Next(items.Count)];
}
