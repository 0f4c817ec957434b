using VirtualDiskManaged.Host;

namespace VirtualDiskManaged.Vhdx;

/// <summary>
/// The header update procedure (MS-VHDX §2.2.2.1): the new header — the current one's fields with the wanted
/// changes and SequenceNumber + 1 — is written over the NON-current slot and flushed; it is then the current
/// header. A crash during the write leaves the old header current (the torn one fails its CRC-32C). Headers are
/// 64 KiB apart, so updating one never disturbs the other (MS-VHDX §2.2.2).
/// </summary>
internal sealed class VhdxHeaderUpdater
{
    private VhdxHeader _current;
    private long _currentOffset;

    private VhdxHeaderUpdater(VhdxHeader current, long currentOffset)
    {
        _current = current;
        _currentOffset = currentOffset;
    }

    /// <summary>The current header (after the last update).</summary>
    public VhdxHeader Current => _current;

    /// <summary>Reads both headers and selects the current one as the open did (MS-VHDX §2.2.2).</summary>
    public static VhdxHeaderUpdater? TryRead(FileView file)
    {
        Span<byte> raw1 = stackalloc byte[VhdxConstants.HeaderSize];
        Span<byte> raw2 = stackalloc byte[VhdxConstants.HeaderSize];
        bool valid1 = file.TryReadExactlyAt(VhdxConstants.Header1Offset, raw1) & VhdxHeader.TryParse(raw1, out var h1, out _);
        bool valid2 = file.TryReadExactlyAt(VhdxConstants.Header2Offset, raw2) & VhdxHeader.TryParse(raw2, out var h2, out _);
        int current = VhdxHeader.SelectCurrent(valid1, h1, raw1, valid2, h2, raw2, out _);
        return current switch
        {
            1 => new VhdxHeaderUpdater(h1, VhdxConstants.Header1Offset),
            2 => new VhdxHeaderUpdater(h2, VhdxConstants.Header2Offset),
            _ => null,
        };
    }

    /// <summary>One update: <paramref name="change"/> of the current header, sequence number + 1, written over the other slot, flushed.</summary>
    public void Update(IBackingStore store, Func<VhdxHeader, VhdxHeader> change)
    {
        var next = change(_current) with { SequenceNumber = _current.SequenceNumber + 1 };
        long target = _currentOffset == VhdxConstants.Header1Offset ? VhdxConstants.Header2Offset : VhdxConstants.Header1Offset;
        byte[] sector = new byte[VhdxConstants.HeaderSize];
        next.WriteTo(sector);
        store.WriteAt(target, sector);
        store.Flush();
        _current = next;
        _currentOffset = target;
    }
}
