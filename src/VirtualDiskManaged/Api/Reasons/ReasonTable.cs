using System.Diagnostics;
using E = VirtualDiskManaged.VirtualDiskError;

namespace VirtualDiskManaged;

/// <summary>
/// The one table of reasons: a row per <see cref="VirtualDiskErrorReason"/> with its Win32 code, severity and
/// message. Each area keeps its rows in its own file (<c>ReasonTable.&lt;Area&gt;.cs</c>); this file joins them
/// into a lookup indexed by the reason's value, checked once for duplicates.
/// </summary>
internal static partial class ReasonTable
{
    internal readonly record struct Row(VirtualDiskErrorReason Reason, E Code, VirtualDiskReasonSeverity Severity, string Message);

    private const VirtualDiskReasonSeverity F = VirtualDiskReasonSeverity.Error;
    private const VirtualDiskReasonSeverity W = VirtualDiskReasonSeverity.Warning;

    private static readonly Row Unclassified = new(VirtualDiskErrorReason.None, E.FileCorrupt, F, "Unclassified failure.");

    /// <summary>Every row of every area, in area order.</summary>
    internal static IEnumerable<Row> AllRows =>
        OpenPathRows.Concat(Iso9660Rows).Concat(ElToritoRows).Concat(UdfRows).Concat(CreateRows)
            .Concat(WriteRows).Concat(OperationsRows).Concat(MergeRows).Concat(CompactRows).Concat(ResizeRows).Concat(SetParentRows).Concat(IsoBuilderRows).Concat(ExtractionRows).Concat(FileSystemRows);

    /// <summary>Built on first use, after every area's rows (their order across files is not defined).</summary>
    private static class Lookup
    {
        internal static readonly Row[] ByValue = Build();
    }

    private static Row[] Build()
    {
        int max = 0;
        foreach (var row in AllRows) max = Math.Max(max, (int)row.Reason);
        var byValue = new Row[max + 1];
        foreach (var row in AllRows)
        {
            Debug.Assert(byValue[(int)row.Reason].Message is null, $"two rows for {row.Reason}");
            byValue[(int)row.Reason] = row;
        }
        return byValue;
    }

    internal static Row Find(VirtualDiskErrorReason reason)
    {
        uint i = (uint)reason;
        var byValue = Lookup.ByValue;
        if (i < (uint)byValue.Length && byValue[i].Message is not null) return byValue[i];
        return Unclassified;
    }
}
