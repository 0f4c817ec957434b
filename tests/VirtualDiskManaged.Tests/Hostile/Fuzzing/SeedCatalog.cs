using System.IO.Compression;
using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.Hostile.Fuzzing;

/// <summary>
/// The fuzzer's seed images per format: every gzip image under testdata/&lt;format&gt;/ (its folder's other images are
/// placed beside it, so differencing seeds find their parents) plus small images crafted in the test.
/// </summary>
internal static class SeedCatalog
{
    /// <summary>Seeds larger than this (uncompressed) are skipped: each mutant is patched in memory.</summary>
    public const long MaxSeedBytes = 48L * 1024 * 1024;

    public static IReadOnlyList<Seed> For(string format)
    {
        var seeds = new List<Seed>();
        // The file-system walk ("isofs") also mutates the ISO images of testdata/iso.
        string folder = Path.Combine(TestPaths.TestData, format == "isofs" ? "iso" : format);
        if (Directory.Exists(folder))
        {
            var images = Directory.GetFiles(folder, "*.gz").Order(StringComparer.Ordinal)
                .Select(p => (Name: Path.GetFileName(p)[..^3], Bytes: TryGunzip(p), Origin: Path.GetRelativePath(TestPaths.RepoRoot, p)))
                .Where(x => x.Bytes is not null)
                .ToList();
            foreach (var image in images)
            {
                var siblings = images.Where(x => x.Name != image.Name).Select(x => (x.Name, x.Bytes!)).ToList();
                seeds.Add(new Seed(format, image.Name, image.Bytes!, siblings, image.Origin));
            }
        }
        seeds.AddRange(Crafted(format));
        seeds.AddRange(WriterSeeds.For(format));
        return seeds;
    }

    private static byte[]? TryGunzip(string path)
    {
        using var input = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var output = new MemoryStream();
        var buffer = new byte[81920];
        int n;
        while ((n = input.Read(buffer)) > 0)
        {
            output.Write(buffer, 0, n);
            if (output.Length > MaxSeedBytes) return null;
        }
        return output.ToArray();
    }

    private static IEnumerable<Seed> Crafted(string format)
    {
        switch (format)
        {
            case "iso":
                yield return new Seed(format, "crafted.iso", CraftedIso.Build(), [], "CraftedIso.Build()");
                break;
            case "vhd":
            {
                var dyn = new CraftedVhd { BlockSize = 512 * 1024, AllocatedBlocks = [0, 3, 7] };
                byte[] dynBytes = dyn.Build();
                var child = CraftedVhd.ChildOf(dyn, "crafted-dyn.vhd", allocated: [1, 3], locators: [("W2ru", ".\\crafted-dyn.vhd"), ("W2ku", "C:\\images\\crafted-dyn.vhd")]);
                yield return new Seed(format, "crafted-fixed.vhd", new CraftedVhd { DiskType = 2, VirtualSize = 1024 * 1024 }.Build(), [], "CraftedVhd fixed 1 MiB");
                yield return new Seed(format, "crafted-dyn.vhd", dynBytes, [], "CraftedVhd dynamic 4 MiB, 512 KiB blocks");
                yield return new Seed(format, "crafted-child.vhd", child.Build(), [("crafted-dyn.vhd", dynBytes)], "CraftedVhd differencing child of crafted-dyn.vhd");
                break;
            }
            case "isofs":
                foreach (var seed in IsoFsSeeds.Make()) yield return seed;
                break;
            case "vhdx":
                yield return new Seed(format, "crafted-dyn.vhdx", new CraftedVhdx().Build(), [], "CraftedVhdx dynamic 8 MiB, 1 MiB blocks");
                break;
        }
    }
}
