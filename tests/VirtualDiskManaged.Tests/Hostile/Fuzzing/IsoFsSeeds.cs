using System.Diagnostics;
using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.Hostile.Fuzzing;

/// <summary>
/// Seeds for the ISO file-system walk (format "isofs"), made at run time with xorriso and genisoimage (skipped
/// when missing) from a small tree that exercises every structure the reader parses: Rock Ridge with a long name
/// (NM through CE), symlinks, deep directories (genisoimage: RR_MOVED with CL/PL/RE), Joliet, ISO 9660:1999,
/// zisofs, El Torito BIOS + UEFI with a boot-info table, an MBR/GPT system area and an implantisomd5 record;
/// plus the multi-extent and interleaved images of the crafted tests. No padding, so most bytes are structure.
/// </summary>
internal static class IsoFsSeeds
{
    public static IEnumerable<Seed> Make()
    {
        var seeds = new List<Seed>();
        foreach (var (name, bytes, origin) in Iso9660Crafted())
            seeds.Add(new Seed("isofs", name, bytes, [], origin));
        seeds.Add(new Seed("isofs", "vdisk-mkiso-special.iso", BuilderSpecialFiles(), [], "this library's builder: Rock Ridge device nodes (PN), FIFO, socket, Joliet"));
        if (!TestPaths.HasTool("xorriso")) return seeds;
        string folder = TestPaths.NewTempFolder("isofs-seeds");
        try
        {
            string tree = Path.Combine(folder, "t");
            Directory.CreateDirectory(Path.Combine(tree, "boot"));
            Directory.CreateDirectory(Path.Combine(tree, "z"));
            File.WriteAllBytes(Path.Combine(tree, "boot", "boot.bin"), Enumerable.Range(0, 4096).Select(i => (byte)(i * 31)).ToArray());
            File.WriteAllBytes(Path.Combine(tree, "efi.img"), new byte[8192]);
            File.WriteAllText(Path.Combine(tree, "z", "text.txt"), string.Concat(Enumerable.Repeat("zisofs text line\n", 6000)));
            File.WriteAllText(Path.Combine(tree, new string('n', 150) + ".txt"), "long\n");
            File.WriteAllText(Path.Combine(tree, "Grüße.txt"), "u\n");
            string deep = tree;
            for (int i = 1; i <= 9; i++) deep = Path.Combine(deep, "d" + i);
            Directory.CreateDirectory(deep);
            File.WriteAllText(Path.Combine(deep, "f.txt"), "deep\n");
            File.CreateSymbolicLink(Path.Combine(tree, "abs"), "/etc/passwd");
            File.CreateSymbolicLink(Path.Combine(tree, "rel"), "../t/z/text.txt");
            string a = Path.Combine(folder, "a.iso"), g = Path.Combine(folder, "g.iso"), z = Path.Combine(folder, "z.iso");
            if (Run("xorriso", "-as", "mkisofs", "-quiet", "-no-pad", "-R", "-J", "-iso-level", "4", "-o", a, "-b", "boot/boot.bin", "-no-emul-boot",
                    "-boot-load-size", "4", "-boot-info-table", "-eltorito-alt-boot", "-e", "efi.img", "-no-emul-boot",
                    "-append_partition", "2", "0xef", Path.Combine(tree, "efi.img"), "-appended_part_as_gpt", tree))
            {
                if (TestPaths.HasTool("implantisomd5")) Run("implantisomd5", a);
                seeds.Add(new Seed("isofs", "xorriso-rrj-boot.iso", File.ReadAllBytes(a), [], "xorriso -R -J -iso-level 4, El Torito BIOS+UEFI, GPT, implantisomd5"));
            }
            if (Run("xorriso", "-outdev", z, "-padding", "0", "-map", tree, "/", "-set_filter_r", "--zisofs", "/z", "--", "-commit"))
                seeds.Add(new Seed("isofs", "xorriso-zisofs.iso", File.ReadAllBytes(z), [], "xorriso native, zisofs on /z"));
            if (TestPaths.HasTool("genisoimage") && Run("genisoimage", "-quiet", "-no-pad", "-R", "-J", "-o", g, tree))
                seeds.Add(new Seed("isofs", "genisoimage-reloc.iso", File.ReadAllBytes(g), [], "genisoimage -R -J (RR_MOVED relocation)"));
        }
        finally
        {
            try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
        }
        return seeds;
    }

    /// <summary>
    /// An image from this library's builder with what no tool-made seed has: Rock Ridge PX file types of device nodes,
    /// FIFOs and sockets and PN device numbers in both encodings (RRIP §4.1.2), next to a file, a link and Joliet.
    /// </summary>
    private static byte[] BuilderSpecialFiles()
    {
        var when = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
        var b = new VirtualDiskManaged.IsoBuild.IsoImageBuilder(new VirtualDiskManaged.IsoBuild.IsoBuildOptions { RockRidge = true, Joliet = true, Timestamp = when, Padding = false });
        b.AddFile("/file.txt", "content\n"u8.ToArray(), when);
        b.AddSymlink("/link", "file.txt", when);
        b.AddSpecialFile("/dev/null", VirtualDiskManaged.FileSystems.FileSystemEntryKind.CharacterDevice, 1, 3, when);
        b.AddSpecialFile("/dev/loop0", VirtualDiskManaged.FileSystems.FileSystemEntryKind.BlockDevice, 7, 0, when);
        b.AddSpecialFile("/dev/big", VirtualDiskManaged.FileSystems.FileSystemEntryKind.BlockDevice, 259, 70_000, when);
        b.AddSpecialFile("/run/pipe", VirtualDiskManaged.FileSystems.FileSystemEntryKind.Fifo, modificationTime: when);
        b.AddSpecialFile("/run/sock", VirtualDiskManaged.FileSystems.FileSystemEntryKind.Socket, modificationTime: when);
        using var image = new MemoryStream();
        b.Build(image);
        return image.ToArray();
    }

    /// <summary>The crafted images of the ISO tests (Iso9660/CraftedIsoImage.cs).</summary>
    private static IEnumerable<(string, byte[], string)> Iso9660Crafted() => VirtualDiskManaged.Tests.Iso9660.CraftedIsoImage.FuzzSeeds();

    private static bool Run(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["SOURCE_DATE_EPOCH"] = "1700000000";
        using var p = Process.Start(psi)!;
        p.StandardOutput.ReadToEndAsync();
        p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000)) { p.Kill(true); return false; }
        return p.ExitCode == 0;
    }
}
