namespace VirtualDiskManaged.Benchmarks.Support;

/// <summary>Differencing images, made with the project's test writers (qemu-img cannot create VHD/VHDX differencing files).</summary>
internal static class ChainBuilder
{
    public static void MakeEmptyChild(ImageKind kind, string parent, string target) =>
        throw new NotImplementedException("Differencing writers not merged yet");

    public static (string Image, string Raw) ThreeLevelChain(ImageKind kind, string raw) =>
        throw new NotImplementedException("Differencing writers not merged yet");
}
