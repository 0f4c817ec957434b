using System.Buffers.Binary;
using System.Text;
using VirtualDiskManaged.Create;
using VirtualDiskManaged.Host;
using VirtualDiskManaged.Chain;
using VirtualDiskManaged.IO;
using VirtualDiskManaged.OpenPath;
using VirtualDiskManaged.Vhd;
using VirtualDiskManaged.Vhdx;
using R = VirtualDiskManaged.VirtualDiskErrorReason;

namespace VirtualDiskManaged;

/// <summary>Options of <see cref="VirtualDiskOperations.SetParent"/> (SetVirtualDiskInformation PARENT_PATH).</summary>
public sealed record SetParentOptions
{
    /// <summary>
    /// Accept a parent whose identifier (VHD footer unique id, VHDX DataWriteGuid) is not the one the child records, and
    /// record the new parent's identifier in the child (VHD Parent Unique ID, VHDX parent_linkage). The caller vouches that
    /// the content matches: a wrong parent makes the child read wrong data.
    /// </summary>
    public bool IgnoreIdMismatch { get; init; }

    /// <summary>
    /// SET_VIRTUAL_DISK_INFO_PARENT_PATH_WITH_DEPTH: which file of the chain is re-pointed, counted from the leaf (1 = the
    /// child path itself, 2 = its parent, …; at most 256). The files between are found through their own locators.
    /// </summary>
    public int ChildDepth { get; init; } = 1;
}

/// <summary>What <see cref="VirtualDiskOperations.SetParent"/> wrote.</summary>
/// <param name="ChildPath">The child's full path.</param>
/// <param name="ParentPath">The new parent's full path.</param>
/// <param name="RelativePath">The relative locator written (VHD W2ru, VHDX relative_path), e.g. <c>.\base.vhdx</c>.</param>
/// <param name="AbsolutePath">The absolute locator written (VHD W2ku, VHDX absolute_win32_path).</param>
/// <param name="ParentIdentifier">The parent identifier the child records now.</param>
/// <param name="IdentifierUpdated">True when the recorded parent identifier changed (only with <see cref="SetParentOptions.IgnoreIdMismatch"/>).</param>
/// <param name="Changes">One sentence per change.</param>
public sealed record SetParentResult(string ChildPath, string ParentPath, string RelativePath, string AbsolutePath, Guid ParentIdentifier,
    bool IdentifierUpdated, IReadOnlyList<string> Changes);

public static partial class VirtualDiskOperations
{
    /// <summary>
    /// SetVirtualDiskInformation SET_VIRTUAL_DISK_INFO_PARENT_PATH: re-points a differencing VHD or VHDX at its parent after
    /// the chain was moved or renamed (docs/operations.md "set-parent"). The new parent must open and be the right parent
    /// (VHD: its footer unique id is the child's Parent Unique ID; VHDX: its DataWriteGuid is the child's parent_linkage,
    /// MS-VHDX §2.6.2.6.3) unless <see cref="SetParentOptions.IgnoreIdMismatch"/>. The relative and absolute locators are
    /// rewritten crash-safely: a crash leaves the old or the new locators.
    /// </summary>
    /// <param name="childPath">The differencing disk (opened exclusively, without its parents).</param>
    /// <param name="parentPath">The parent's new path.</param>
    /// <param name="options">Options (null = defaults).</param>
    /// <returns>What was written.</returns>
    public static SetParentResult SetParent(string childPath, string parentPath, SetParentOptions? options = null)
    {
        if (!TrySetParent(childPath, parentPath, options, out var result, out var failure)) ThrowHelper.Throw(failure!);
        return result!;
    }

    /// <summary>Tries to set the parent path (see <see cref="SetParent"/>).</summary>
    /// <param name="childPath">The differencing disk.</param>
    /// <param name="parentPath">The parent's new path.</param>
    /// <param name="options">Options (null = defaults).</param>
    /// <param name="result">What was written, on success.</param>
    /// <param name="failure">The failure, or null on success.</param>
    /// <returns>True on success.</returns>
    public static bool TrySetParent(string childPath, string parentPath, SetParentOptions? options, out SetParentResult? result, out VirtualDiskDiagnostic? failure)
    {
        ArgumentNullException.ThrowIfNull(childPath);
        options ??= new SetParentOptions();
        result = null;
        if (string.IsNullOrWhiteSpace(parentPath))
        {
            failure = new(R.SetParentPathInvalid, childPath, "The parent path is empty");
            return false;
        }

        if (options.ChildDepth < 1 || options.ChildDepth > ParentResolver.MaxDepth)
        {
            failure = new(R.SetParentPathInvalid, childPath, $"Child depth {options.ChildDepth}: 1 (the leaf) to {ParentResolver.MaxDepth}");
            return false;
        }
        if (options.ChildDepth > 1)
        {
            failure = FindAtDepth(childPath, options.ChildDepth, out string? target);
            if (failure is not null) return false;
            childPath = target!;
        }

        // The child alone (NO_PARENTS): its parent is typically not where the locators say.
        failure = OpenTopFile(childPath, out string child, out var format, out bool pending, out var childHandle, keep: true);
        if (failure is not null) return false;
        DiskLayer top;
        Guid recorded;
        FileIdentity childIdentity;
        long childSize;
        using (childHandle)
        {
            top = childHandle!.TopLayer;
            childIdentity = top.File.Identity;
            childSize = top.VirtualSize;
            if (format is not (VirtualDiskFormat.Vhd or VirtualDiskFormat.Vhdx))
            {
                failure = new(R.OperationNotSupported, child, $"Set-parent applies to differencing VHD and VHDX, not {format}");
                return false;
            }
            if (top.ParentLink is not { } link)
            {
                failure = new(R.SetParentNotDifferencing, child, $"A {top.Subtype} {format}");
                return false;
            }
            recorded = link.ParentIdentifier;
        }
        if (pending)
        {
            failure = new(R.SetPendingLog, child);
            return false;
        }

        // The parent path must not name the child itself (its own parent would not be found, so say so first).
        if (HostFile.TryOpen(parentPath, exclusive: false, out var probe) is null)
        {
            bool same = probe!.Identity == childIdentity;
            probe.Dispose();
            if (same)
            {
                failure = new(R.SetParentPathInvalid, child, "The parent path names the child itself");
                return false;
            }
        }

        // The new parent, with its own chain (Windows: "fails if a ParentFilePath is given that the system cannot resolve").
        failure = OpenInput(parentPath, out var parentHandle);
        if (failure is not null)
        {
            failure = new(R.SetParentOpenFailed, parentPath, inner: failure.Inner ?? failure, code: (failure.Inner ?? failure).Code);
            return false;
        }
        ParentInfo parent;
        Guid parentId;
        using (parentHandle)
        {
            for (DiskLayer? layer = parentHandle!.TopLayer; layer is not null; layer = layer.Parent)
            {
                if (layer.File.Identity == childIdentity)
                {
                    failure = new(R.SetParentPathInvalid, child, layer == parentHandle.TopLayer ? "The parent path names the child itself" : $"The chain of {parentHandle.Path} contains the child");
                    return false;
                }
            }
            var p = parentHandle.TopLayer;
            if (p.DeviceId != top.DeviceId)
            {
                failure = new(R.SetParentFormatMismatch, parentHandle.Path, $"The parent is a {parentHandle.Format}, the child a {format}");
                return false;
            }
            if (p.VirtualSize != childSize)
            {
                failure = new(R.SetParentSizeMismatch, parentHandle.Path, $"Parent {p.VirtualSize} bytes, child {childSize} bytes");
                return false;
            }
            parentId = p.Identifier;
            parent = new ParentInfo(parentHandle.Path, p.DeviceId, p.Subtype, p.VirtualSize, p.BlockSize, p.LogicalSectorSize, p.PhysicalSectorSize, p.Identifier, p.VirtualDiskId);
        }

        var open = HostFile.TryOpen(child, exclusive: true, out var file, writable: true);
        if (open is not null)
        {
            failure = new(R.MetadataWriteFailed, child, inner: open, code: open.Code);
            return false;
        }
        var changes = new List<string>();
        string relative = parent.RelativePathFrom(child);
        string absolute = parent.AbsolutePath;
        Guid now = recorded;
        using (file)
        {
            IBackingStore store = WrapStoreForTests?.Invoke(file!) ?? file!;
            try
            {
                failure = format == VirtualDiskFormat.Vhd
                    ? SetParentVhd(file!, store, parent, parentId, recorded, options.IgnoreIdMismatch, relative, changes, out now)
                    : SetParentVhdx(file!, store, parent, parentId, options.IgnoreIdMismatch, changes, out now, out absolute);
            }
            catch (IOException e) { failure = new(R.MetadataWriteFailed, child, e.Message); }
        }
        if (failure is not null) return false;
        result = new SetParentResult(child, parent.Path, relative, absolute, now, now != recorded, changes);
        return true;
    }

    /// <summary>
    /// The file at <paramref name="depth"/> of the chain under <paramref name="leaf"/> (1 = the leaf): each file is opened
    /// alone and its parent found through its locators as the open finds it (docs/open-path.md §10: candidates in locator
    /// order, the one whose identifier the child records). Depth is capped by the caller (at most 256 steps).
    /// </summary>
    private static VirtualDiskDiagnostic? FindAtDepth(string leaf, int depth, out string? target)
    {
        target = null;
        string current = leaf;
        for (int level = 1; level < depth; level++)
        {
            var failure = OpenTopFile(current, out string full, out _, out _, out var handle, keep: true);
            if (failure is not null) return failure;
            string? next = null;
            using (handle)
            {
                var layer = handle!.TopLayer;
                if (layer.ParentLink is not { } link)
                    return new(R.SetParentNotDifferencing, full, $"The file at depth {level} has no parent, so there is no depth {level + 1}");
                var request = new OpenRequest { Path = full, Access = VirtualDiskAccessMask.None, Parameters = OpenVirtualDiskParameters.V2(readOnly: true), Flags = OpenVirtualDiskFlags.NoParents };
                foreach (string candidate in ParentResolver.Candidates(layer, link, request))
                {
                    if (!File.Exists(candidate) || OpenTopFile(candidate, out string found, out _, out _, out var parentHandle, keep: true) is not null) continue;
                    using (parentHandle)
                    {
                        var (reason, _) = link.Verify(parentHandle!.TopLayer);
                        if (reason is R.None or R.ParentTimestampMismatch) { next = found; break; }
                    }
                }
                if (next is null)
                    return new(R.SetParentOpenFailed, full, $"The parent of the file at depth {level} is not found through its locators", code: VirtualDiskError.VhdParentVhdNotFound);
            }
            current = next;
        }
        target = current;
        return null;
    }

    private const int VhdLocatorAlignment = 4096;

    /// <summary>
    /// VHD ("Dynamic Disk Header Format": Parent Unique ID, Parent Time Stamp, Parent Unicode Name, parent locator entries).
    /// The new W2ku and W2ru data go to the end of the file and the trailing footer moves behind them, so nothing the
    /// current header refers to is overwritten: (1) the footer is written at the new end and flushed (the old footer
    /// becomes unused interior space, as when a block is added); (2) the locator data is written and flushed; (3) the
    /// 1024-byte header is rewritten in one write (new entries, name, id, time stamp, checksum) and flushed. A crash
    /// before (3) lands leaves the old header: the old locators. The header has no copy: a write torn inside it fails its
    /// checksum — the one window, a single 1024-byte write (docs/operations.md "set-parent").
    /// </summary>
    private static VirtualDiskDiagnostic? SetParentVhd(HostFile file, IBackingStore store, ParentInfo parent, Guid parentId, Guid recorded,
        bool ignoreMismatch, string relative, List<string> changes, out Guid now)
    {
        now = recorded;
        long length = file.Length;
        byte[] footerBytes = new byte[VhdFooter.Size];
        if (length < 3 * VhdFooter.Size || !file.TryReadExactlyAt(length - VhdFooter.Size, footerBytes)
            || !VhdFooter.TryParse(footerBytes, out var footer, out var reason) || reason != R.None)
            return new(R.OperationNotSupported, file.Path, "The trailing footer is not a whole 512-byte intact footer; run repair first", length - VhdFooter.Size);
        // VHD spec "Hard Disk Footer Format": Data Offset is the dynamic header's file offset.
        if (footer.DataOffset < VhdFooter.Size || footer.DataOffset > (ulong)(length - VhdFooter.Size - VhdDynamicHeader.Size))
            return new(R.OperationNotSupported, file.Path, $"Dynamic header offset {footer.DataOffset} is outside the file");
        long headerAt = (long)footer.DataOffset;
        byte[] header = new byte[VhdDynamicHeader.Size];
        if (!file.TryReadExactlyAt(headerAt, header) || !VhdDynamicHeader.TryParse(header, out _, out reason))
            return new(R.OperationNotSupported, file.Path, $"The dynamic header is not intact ({reason})", headerAt);

        if (parentId != recorded && !ignoreMismatch)
            return new(R.SetParentIdMismatch, parent.Path, $"The parent's unique id is {parentId}; the child records {recorded} (use IgnoreIdMismatch to re-link)");

        string absolute = parent.AbsolutePath;
        byte[] absoluteData = Encoding.Unicode.GetBytes(absolute), relativeData = Encoding.Unicode.GetBytes(relative);
        if (absoluteData.Length > VhdParentLocatorEntry.MaxDataLength || relativeData.Length > VhdParentLocatorEntry.MaxDataLength)
            return new(R.SetParentPathInvalid, parent.Path, $"A locator holds at most {VhdParentLocatorEntry.MaxDataLength} bytes");

        // The entries to rewrite: the W2ku and W2ru ones, or free ones (platform code 0) when the child has none.
        int ku = FindLocator(header, VhdParentLocatorEntry.CodeW2ku, -1), ru = FindLocator(header, VhdParentLocatorEntry.CodeW2ru, ku);
        if (ku < 0) ku = FindLocator(header, VhdParentLocatorEntry.CodeNone, ru);
        if (ru < 0) ru = FindLocator(header, VhdParentLocatorEntry.CodeNone, ku);
        if (ku < 0 || ru < 0) return new(R.MetadataNoRoom, file.Path, "No free parent locator entry in the dynamic header for W2ku/W2ru", headerAt + VhdDynamicHeader.ParentLocatorsOffset);
        string parentName = VhdImageWriter.ParentNameOf(absolute);
        if (parentId == recorded && LocatorHolds(file, header, ku, VhdParentLocatorEntry.CodeW2ku, absoluteData)
            && LocatorHolds(file, header, ru, VhdParentLocatorEntry.CodeW2ru, relativeData) && NameIs(header, parentName))
        {
            // Already re-pointed (e.g. a second run): nothing is written, so repeated runs do not grow the file.
            changes.Add($"The locators already name {absolute} and {relative}; nothing changed");
            return null;
        }

        // Layout at the end: [W2ku data, 4 KiB multiple][W2ru data, 4 KiB multiple][footer]; new blocks go where the footer is.
        long at = Align(length, VhdLocatorAlignment);
        int kuSpace = (int)Math.Max(VhdLocatorAlignment, Align(absoluteData.Length, VhdLocatorAlignment));
        int ruSpace = (int)Math.Max(VhdLocatorAlignment, Align(relativeData.Length, VhdLocatorAlignment));
        long footerAt = at + kuSpace + ruSpace;
        store.WriteAt(footerAt, footerBytes);
        store.Flush();
        store.WriteAt(at, absoluteData);
        store.WriteAt(at + kuSpace, relativeData);
        store.Flush();

        WriteLocatorEntry(header, ku, VhdParentLocatorEntry.CodeW2ku, kuSpace, absoluteData.Length, at);
        WriteLocatorEntry(header, ru, VhdParentLocatorEntry.CodeW2ru, ruSpace, relativeData.Length, at + kuSpace);
        // Parent Unicode Name: UTF-16 big-endian, zero padded (as the create path writes it).
        var name = header.AsSpan(VhdDynamicHeader.ParentUnicodeNameOffset, VhdDynamicHeader.ParentUnicodeNameLength);
        name.Clear();
        Encoding.BigEndianUnicode.GetBytes(parentName.AsSpan(0, Math.Min(parentName.Length, name.Length / 2)), name);
        if (parentId != recorded)
        {
            parentId.TryWriteBytes(header.AsSpan(VhdDynamicHeader.ParentUniqueIdOffset, 16), bigEndian: true, out _);
            now = parentId;
            changes.Add($"Parent unique id {recorded} -> {parentId}");
        }
        // Parent Time Stamp: "the modification time stamp of the parent hard disk" (VHD spec), seconds since 2000-01-01 UTC.
        // Windows' CreateVirtualDisk writes 0 (which no reader checks): a 0 stays 0; any other value becomes the new
        // parent's modification time, so that a reader checking it finds the new parent's (docs/operations.md "set-parent").
        uint stamp = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(VhdDynamicHeader.ParentTimeStampOffset));
        if (stamp != 0) stamp = VhdFooterWriter.TimeStamp(new DateTimeOffset(File.GetLastWriteTimeUtc(parent.Path), TimeSpan.Zero));
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(VhdDynamicHeader.ParentTimeStampOffset), stamp);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(VhdDynamicHeader.ChecksumOffset), 0);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(VhdDynamicHeader.ChecksumOffset), VhdChecksum.Compute(header, VhdDynamicHeader.ChecksumOffset));
        store.WriteAt(headerAt, header);
        store.Flush();
        changes.Add($"W2ku (absolute) -> {absolute} (data at {at})");
        changes.Add($"W2ru (relative) -> {relative} (data at {at + kuSpace})");
        changes.Add($"Parent name -> {parentName}; parent time stamp {stamp}");
        return null;
    }

    private static long Align(long value, long unit) => (value + unit - 1) / unit * unit;

    /// <summary>True when entry <paramref name="index"/> has <paramref name="code"/> and its data (read with the entry's bounds checked against the file) is <paramref name="data"/>.</summary>
    private static bool LocatorHolds(HostFile file, byte[] header, int index, uint code, byte[] data)
    {
        var entry = header.AsSpan(VhdDynamicHeader.ParentLocatorsOffset + index * VhdParentLocatorEntry.Size, VhdParentLocatorEntry.Size);
        if (BinaryPrimitives.ReadUInt32BigEndian(entry[VhdParentLocatorEntry.PlatformCodeOffset..]) != code) return false;
        if (BinaryPrimitives.ReadUInt32BigEndian(entry[VhdParentLocatorEntry.PlatformDataLengthOffset..]) != (uint)data.Length) return false;
        ulong offset = BinaryPrimitives.ReadUInt64BigEndian(entry[VhdParentLocatorEntry.PlatformDataOffsetOffset..]);
        if (offset > (ulong)file.Length || (ulong)data.Length > (ulong)file.Length - offset) return false;
        var stored = new byte[data.Length]; // data.Length ≤ MaxDataLength (checked by the caller)
        return file.TryReadExactlyAt((long)offset, stored) && stored.AsSpan().SequenceEqual(data);
    }

    private static bool NameIs(byte[] header, string name)
    {
        var field = header.AsSpan(VhdDynamicHeader.ParentUnicodeNameOffset, VhdDynamicHeader.ParentUnicodeNameLength);
        var expected = new byte[VhdDynamicHeader.ParentUnicodeNameLength];
        Encoding.BigEndianUnicode.GetBytes(name.AsSpan(0, Math.Min(name.Length, expected.Length / 2)), expected);
        return field.SequenceEqual(expected);
    }

    private static int FindLocator(byte[] header, uint code, int except)
    {
        for (int i = 0; i < VhdDynamicHeader.ParentLocatorCount; i++)
        {
            if (i == except) continue;
            int at = VhdDynamicHeader.ParentLocatorsOffset + i * VhdParentLocatorEntry.Size;
            if (BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(at + VhdParentLocatorEntry.PlatformCodeOffset)) == code) return i;
        }
        return -1;
    }

    private static void WriteLocatorEntry(byte[] header, int index, uint code, int space, int length, long offset)
    {
        var entry = header.AsSpan(VhdDynamicHeader.ParentLocatorsOffset + index * VhdParentLocatorEntry.Size, VhdParentLocatorEntry.Size);
        entry.Clear();
        BinaryPrimitives.WriteUInt32BigEndian(entry[VhdParentLocatorEntry.PlatformCodeOffset..], code);
        // Platform Data Space: the spec says sectors; Windows stores the byte count, as the create path does.
        BinaryPrimitives.WriteUInt32BigEndian(entry[VhdParentLocatorEntry.PlatformDataSpaceOffset..], (uint)space);
        BinaryPrimitives.WriteUInt32BigEndian(entry[VhdParentLocatorEntry.PlatformDataLengthOffset..], (uint)length);
        BinaryPrimitives.WriteUInt64BigEndian(entry[VhdParentLocatorEntry.PlatformDataOffsetOffset..], (ulong)offset);
    }

    /// <summary>
    /// VHDX (MS-VHDX §2.6.2.6): the parent locator item is rebuilt with the create path's builder (parent_linkage kept, or
    /// the new parent's DataWriteGuid with IgnoreIdMismatch; relative_path, volume_path where the host has one,
    /// absolute_win32_path), placed in free space of the metadata region and switched to through the log
    /// (<see cref="VhdxMetadataEdit"/>).
    /// </summary>
    private static VirtualDiskDiagnostic? SetParentVhdx(HostFile file, IBackingStore store, ParentInfo parent, Guid parentId, bool ignoreMismatch,
        List<string> changes, out Guid now, out string absolute)
    {
        now = Guid.Empty;
        absolute = parent.AbsolutePath;
        var headers = VhdxHeaderUpdater.TryRead(file);
        if (headers is null) return new(R.OperationNotSupported, file.Path, "No current VHDX header");
        var failure = VhdxMetadataEdit.TryRead(file, out var edit);
        if (failure is not null) return failure;
        int index = edit!.Find(VhdxConstants.ParentLocatorItem, user: false);
        if (index < 0) return new(R.SetParentNotDifferencing, file.Path, "No parent locator item (MS-VHDX §2.6.2.6)");
        var old = edit.ReadItem(file, index);
        VhdxParentLocator? locator = null;
        R reason = R.None;
        string? detail = "unreadable";
        if (old is null || !VhdxParentLocator.TryParse(old, out locator, out reason, out detail))
            return new(R.OperationNotSupported, file.Path, $"The parent locator cannot be read ({reason}: {detail})", edit.RegionOffset + edit.Entries[index].Offset);
        Guid linkage = locator!.ParentLinkage;
        Guid? linkage2 = locator.ParentLinkage2;
        bool matches = parentId == linkage || (linkage2 is { } l2 && parentId == l2);
        now = linkage;
        if (!matches)
        {
            if (!ignoreMismatch)
                return new(R.SetParentIdMismatch, parent.Path,
                    $"The parent's DataWriteGuid is {VhdxParentLocator.Format(parentId)}; the child's parent_linkage is {VhdxParentLocator.Format(linkage)}"
                    + (linkage2 is { } g ? $" (parent_linkage2 {VhdxParentLocator.Format(g)})" : "") + " (use IgnoreIdMismatch to re-link)");
            changes.Add($"parent_linkage {VhdxParentLocator.Format(linkage)} -> {VhdxParentLocator.Format(parentId)}");
            linkage = parentId;
            linkage2 = null;
            now = parentId;
        }
        if (absolute.Length > short.MaxValue || parent.RelativePathFrom(file.Path).Length > short.MaxValue)
            return new(R.SetParentPathInvalid, parent.Path, "A locator value holds at most 32,767 UTF-16 units (MS-VHDX §2.6.2.6.2: 16-bit lengths)");
        var values = VhdxImageWriter.LocatorValues(parent, file.Path, linkage, linkage2);
        absolute = values.AbsoluteWin32Path ?? absolute;
        byte[] bytes = VhdxMetadataWriter.BuildParentLocator(values);
        if (old.AsSpan().SequenceEqual(bytes))
        {
            changes.Add($"The parent locator already names {values.AbsoluteWin32Path} and {values.RelativePath}; nothing changed");
            return null;
        }
        if (!edit.Put(index, VhdxConstants.ParentLocatorItem, edit.Entries[index].Flags, bytes))
            return new(R.MetadataNoRoom, file.Path, $"No free {bytes.Length} bytes in the {edit.RegionLength}-byte metadata region for the new parent locator", edit.RegionOffset);
        failure = edit.Commit(file, store, headers);
        if (failure is not null) return failure;
        changes.Add($"relative_path -> {values.RelativePath}");
        if (values.VolumePath is { } v) changes.Add($"volume_path -> {v}");
        changes.Add($"absolute_win32_path -> {values.AbsoluteWin32Path}");
        return null;
    }
}
