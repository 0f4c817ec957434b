using System.Buffers.Binary;
using VirtualDiskManaged.Host;
using VirtualDiskManaged.Vhdx;

namespace VirtualDiskManaged;

/// <summary>One entry of a VHDX metadata table (MS-VHDX §2.6.1.2).</summary>
/// <param name="ItemId">The item's GUID.</param>
/// <param name="Length">The item's length in bytes.</param>
/// <param name="IsUser">A user item (IsUser flag), as opposed to a system item.</param>
/// <param name="IsVirtualDisk">The item describes the virtual disk (IsVirtualDisk flag: a differencing child shares it).</param>
/// <param name="IsRequired">A reader must understand the item (IsRequired flag).</param>
public sealed record VhdxMetadataItemInfo(Guid ItemId, uint Length, bool IsUser, bool IsVirtualDisk, bool IsRequired);

public static partial class VirtualDiskOperations
{
    // MS-VHDX §2.6.1.1 (table header) and §2.6.1.2 (entries).
    private const int MetadataEntryCountOffset = 10, MetadataHeaderLength = 32, MetadataEntryLength = 32;
    private const int MetadataItemIdOffset = 0, MetadataItemOffsetOffset = 16, MetadataItemLengthOffset = 20, MetadataItemFlagsOffset = 24;

    /// <summary>
    /// EnumerateVirtualDiskMetadata: the metadata table entries of an open VHDX's top file (MS-VHDX §2.6.1), system and
    /// user items (read through a replayed log when one was pending). Empty for other formats.
    /// </summary>
    /// <param name="handle">An open image.</param>
    /// <returns>The entries in table order.</returns>
    public static IReadOnlyList<VhdxMetadataItemInfo> EnumerateMetadata(VirtualDiskHandle handle)
    {
        ArgumentNullException.ThrowIfNull(handle);
        var list = new List<VhdxMetadataItemInfo>();
        if (!TryReadMetadataTable(handle, out var table, out _)) return list;
        int count = BinaryPrimitives.ReadUInt16LittleEndian(table.AsSpan(MetadataEntryCountOffset));
        count = Math.Min(count, VhdxMetadataTable.MaxEntries); // validated by the open; capped again here
        for (int i = 0; i < count; i++)
        {
            var e = table.AsSpan(MetadataHeaderLength + i * MetadataEntryLength, MetadataEntryLength);
            uint flags = BinaryPrimitives.ReadUInt32LittleEndian(e[MetadataItemFlagsOffset..]);
            list.Add(new(new Guid(e.Slice(MetadataItemIdOffset, 16)), BinaryPrimitives.ReadUInt32LittleEndian(e[MetadataItemLengthOffset..]),
                (flags & 1) != 0, (flags & 2) != 0, (flags & 4) != 0));
        }
        return list;
    }

    /// <summary>GetVirtualDiskMetadata: the bytes of one item of an open VHDX (at most 1 MiB, the MS-VHDX §2.6.1.2 limit); null when there is no such item.</summary>
    /// <param name="handle">An open VHDX.</param>
    /// <param name="itemId">The item's GUID.</param>
    /// <returns>The item's bytes, or null.</returns>
    public static byte[]? GetMetadata(VirtualDiskHandle handle, Guid itemId)
    {
        ArgumentNullException.ThrowIfNull(handle);
        if (!TryReadMetadataTable(handle, out var table, out long regionOffset)) return null;
        int count = Math.Min((int)BinaryPrimitives.ReadUInt16LittleEndian(table.AsSpan(MetadataEntryCountOffset)), VhdxMetadataTable.MaxEntries);
        for (int i = 0; i < count; i++)
        {
            var e = table.AsSpan(MetadataHeaderLength + i * MetadataEntryLength, MetadataEntryLength);
            if (new Guid(e.Slice(MetadataItemIdOffset, 16)) != itemId) continue;
            uint offset = BinaryPrimitives.ReadUInt32LittleEndian(e[MetadataItemOffsetOffset..]);
            uint length = BinaryPrimitives.ReadUInt32LittleEndian(e[MetadataItemLengthOffset..]);
            if (length > VhdxMetadataTable.MaxItemLength) return null; // the open refused such tables; the cap stays
            var data = new byte[length];
            if (length > 0 && !handle.TopLayer.Source.TryReadExactlyAt(regionOffset + offset, data)) return null;
            return data;
        }
        return null;
    }

    /// <summary>GetVirtualDiskMetadata with a diagnostic: the item's bytes, or <see cref="VirtualDiskErrorReason.MetadataItemNotFound"/> (not a VHDX, no such item, or the item cannot be read).</summary>
    /// <param name="handle">An open image.</param>
    /// <param name="itemId">The item's GUID.</param>
    /// <param name="data">The item's bytes, on success.</param>
    /// <param name="failure">The failure, or null on success.</param>
    /// <returns>True when the item was read.</returns>
    public static bool TryGetMetadata(VirtualDiskHandle handle, Guid itemId, out byte[]? data, out VirtualDiskDiagnostic? failure)
    {
        data = GetMetadata(handle, itemId);
        failure = data is null
            ? new(VirtualDiskErrorReason.MetadataItemNotFound, handle.Path, handle.Format == VirtualDiskFormat.Vhdx ? $"No item {itemId}" : $"A {handle.Format} has no metadata items")
            : null;
        return data is not null;
    }

    private static bool TryReadMetadataTable(VirtualDiskHandle handle, out byte[] table, out long regionOffset)
    {
        table = [];
        regionOffset = 0;
        if (handle.Format != VirtualDiskFormat.Vhdx) return false;
        var source = handle.TopLayer.Source;
        if (!VhdxRegionTable.TryReadFirstValid(source, new byte[VhdxConstants.RegionTableSize], out var parsed)) return false;
        table = new byte[VhdxConstants.MetadataTableSize];
        regionOffset = parsed.Metadata.FileOffset;
        return source.TryReadExactlyAt(regionOffset, table);
    }
}

public static partial class VirtualDiskOperations
{
    /// <summary>
    /// SetVirtualDiskMetadata: adds or replaces the USER metadata item <paramref name="itemId"/> of a VHDX (MS-VHDX
    /// §2.6.1.2: IsUser set, at most 1 MiB, at most 1,024 user items). The bytes go into free space of the metadata region,
    /// then the table changes through the log (crash-safe: the old or the new item; docs/operations.md "VHDX metadata items").
    /// </summary>
    /// <param name="path">The VHDX (opened exclusively; its parents are not opened).</param>
    /// <param name="itemId">The item's GUID (not all zeros, not a system item's).</param>
    /// <param name="data">The item's bytes (1 byte to 1 MiB).</param>
    public static void SetMetadata(string path, Guid itemId, ReadOnlySpan<byte> data)
    {
        if (!TrySetMetadata(path, itemId, data, out var failure)) ThrowHelper.Throw(failure!);
    }

    /// <summary>Tries to set a user metadata item (see <see cref="SetMetadata"/>).</summary>
    /// <param name="path">The VHDX.</param>
    /// <param name="itemId">The item's GUID.</param>
    /// <param name="data">The item's bytes.</param>
    /// <param name="failure">The failure, or null on success.</param>
    /// <returns>True when the item was written.</returns>
    public static bool TrySetMetadata(string path, Guid itemId, ReadOnlySpan<byte> data, out VirtualDiskDiagnostic? failure)
    {
        failure = CheckUserItemId(path, itemId);
        if (failure is null && data.Length > VhdxMetadataTable.MaxItemLength)
            failure = new(VirtualDiskErrorReason.MetadataItemInvalid, path, $"{data.Length} bytes: an item holds at most 1 MiB (MS-VHDX §2.6.1.2)");
        // MS-VHDX §2.6.1.2 allows an empty item (offset and length 0), but libvhdi refuses to open a file with one
        // (offset below 64 KiB): empty items are not written (docs/operations.md "VHDX metadata items").
        if (failure is null && data.IsEmpty)
            failure = new(VirtualDiskErrorReason.MetadataItemInvalid, path, "An empty item is not written (other readers refuse its offset 0); delete the item instead");
        if (failure is not null) return false;
        byte[] bytes = data.ToArray();
        failure = ChangeVhdxMetadata(path, (file, edit) =>
        {
            if (edit.Entries.Any(e => !e.IsUser && e.Id == itemId))
                return new(VirtualDiskErrorReason.MetadataItemInvalid, file.Path, $"{itemId} is a system item of this file");
            int index = edit.Find(itemId, user: true);
            if (index < 0 && edit.Entries.Count(e => e.IsUser) >= VhdxMetadataTable.MaxUserEntries)
                return new(VirtualDiskErrorReason.MetadataNoRoom, file.Path, $"The table already holds {VhdxMetadataTable.MaxUserEntries} user items (MS-VHDX §2.6.1.2)");
            if (index < 0 && edit.Entries.Count >= VhdxMetadataEdit.MaxEntries)
                return new(VirtualDiskErrorReason.MetadataNoRoom, file.Path, $"The table already holds {VhdxMetadataEdit.MaxEntries} entries (MS-VHDX §2.6.1.1)");
            if (!edit.Put(index, itemId, VhdxMetadataEdit.IsUserFlag, bytes))
                return new(VirtualDiskErrorReason.MetadataNoRoom, file.Path, $"No free {bytes.Length} bytes in the {edit.RegionLength}-byte metadata region", edit.RegionOffset);
            return null;
        });
        return failure is null;
    }

    /// <summary>
    /// DeleteVirtualDiskMetadata: removes the USER metadata item <paramref name="itemId"/> of a VHDX; its entry leaves the
    /// table through the log and its bytes are then zeroed (docs/operations.md "VHDX metadata items").
    /// </summary>
    /// <param name="path">The VHDX.</param>
    /// <param name="itemId">The item's GUID.</param>
    public static void DeleteMetadata(string path, Guid itemId)
    {
        if (!TryDeleteMetadata(path, itemId, out var failure)) ThrowHelper.Throw(failure!);
    }

    /// <summary>Tries to delete a user metadata item (see <see cref="DeleteMetadata"/>).</summary>
    /// <param name="path">The VHDX.</param>
    /// <param name="itemId">The item's GUID.</param>
    /// <param name="failure">The failure (<see cref="VirtualDiskErrorReason.MetadataItemNotFound"/> when there is no such user item), or null.</param>
    /// <returns>True when the item was removed.</returns>
    public static bool TryDeleteMetadata(string path, Guid itemId, out VirtualDiskDiagnostic? failure)
    {
        failure = CheckUserItemId(path, itemId);
        if (failure is not null) return false;
        failure = ChangeVhdxMetadata(path, (file, edit) =>
        {
            int index = edit.Find(itemId, user: true);
            if (index < 0)
            {
                return edit.Entries.Any(e => e.Id == itemId)
                    ? new(VirtualDiskErrorReason.MetadataItemInvalid, file.Path, $"{itemId} is a system item of this file")
                    : new(VirtualDiskErrorReason.MetadataItemNotFound, file.Path, $"No user item {itemId}");
            }
            edit.Remove(index);
            return null;
        });
        return failure is null;
    }

    /// <summary>The system items MS-VHDX §2.6.2 defines: never user items here (SetVirtualDiskMetadata works on user metadata).</summary>
    private static readonly Guid[] SystemItems =
    [
        VhdxConstants.FileParametersItem, VhdxConstants.VirtualDiskSizeItem, VhdxConstants.VirtualDiskIdItem,
        VhdxConstants.LogicalSectorSizeItem, VhdxConstants.PhysicalSectorSizeItem, VhdxConstants.ParentLocatorItem,
    ];

    private static VirtualDiskDiagnostic? CheckUserItemId(string path, Guid itemId)
    {
        ArgumentNullException.ThrowIfNull(path);
        // SetVirtualDiskMetadata: "This cannot be the NULL GUID".
        if (itemId == Guid.Empty) return new(VirtualDiskErrorReason.MetadataItemInvalid, path, "The item id is the all-zero GUID");
        if (SystemItems.Contains(itemId)) return new(VirtualDiskErrorReason.MetadataItemInvalid, path, $"{itemId} is a system item (MS-VHDX §2.6.2)");
        return null;
    }

    /// <summary>
    /// Opens a VHDX's top file alone (NO_PARENTS: a moved parent does not stop the change), refuses other formats and a
    /// pending log, then opens the file exclusively for writing and runs <paramref name="change"/> on its metadata
    /// region; the change is committed by <see cref="VhdxMetadataEdit.Commit"/>.
    /// </summary>
    internal static VirtualDiskDiagnostic? ChangeVhdxMetadata(string path, Func<HostFile, VhdxMetadataEdit, VirtualDiskDiagnostic?> change)
    {
        var failure = OpenTopFile(path, out string full, out var format, out bool pending, out _);
        if (failure is not null) return failure;
        if (format != VirtualDiskFormat.Vhdx) return new(VirtualDiskErrorReason.OperationNotSupported, full, $"Metadata items are a VHDX structure (MS-VHDX §2.6); this is a {format}");
        if (pending) return new(VirtualDiskErrorReason.SetPendingLog, full);
        var open = HostFile.TryOpen(full, exclusive: true, out var file, writable: true);
        if (open is not null) return new(VirtualDiskErrorReason.MetadataWriteFailed, full, inner: open, code: open.Code);
        using (file)
        {
            IBackingStore store = WrapStoreForTests?.Invoke(file!) ?? file!;
            try
            {
                var headers = VhdxHeaderUpdater.TryRead(file!);
                if (headers is null) return new(VirtualDiskErrorReason.OperationNotSupported, full, "No current VHDX header");
                failure = VhdxMetadataEdit.TryRead(file!, out var edit);
                if (failure is not null) return failure;
                failure = change(file!, edit!);
                if (failure is not null) return failure;
                return edit!.Commit(file!, store, headers);
            }
            catch (IOException e) { return new(VirtualDiskErrorReason.MetadataWriteFailed, full, e.Message); }
        }
    }

    /// <summary>Tests: wraps the store the metadata and set-parent changes write through (to record writes and flushes); per thread.</summary>
    [ThreadStatic]
    internal static Func<IBackingStore, IBackingStore>? WrapStoreForTests;

    /// <summary>Opens an image's top file read-only without its parents (OPEN_VIRTUAL_DISK_FLAG_NO_PARENTS) and reports what it is.</summary>
    internal static VirtualDiskDiagnostic? OpenTopFile(string path, out string full, out VirtualDiskFormat format, out bool pending, out VirtualDiskHandle? kept, bool keep = false)
    {
        full = path;
        format = default;
        pending = false;
        kept = null;
        var options = new VirtualDiskOpenOptions
        {
            Access = VirtualDiskAccessMask.None,
            Parameters = OpenVirtualDiskParameters.V2(readOnly: true),
            Flags = OpenVirtualDiskFlags.NoParents,
        };
        if (!VirtualDisk.TryOpen(path, options, out var handle, out VirtualDiskDiagnostic? failure))
            return new(VirtualDiskErrorReason.OperationOpenFailed, path, inner: failure, code: failure.Code);
        full = handle!.Path;
        format = handle.Format;
        pending = handle.LogReplayed;
        if (keep) kept = handle;
        else handle.Dispose();
        return null;
    }
}
