using VirtualDiskManaged;

namespace VirtualDiskManaged.Tests.Foundation;

/// <summary>The reason table is the one place for a reason's code, message and severity (docs/open-path.md).</summary>
public sealed class ReasonTableTests
{
    [Test]
    public void EveryReasonHasExactlyOneRow()
    {
        var rows = ReasonTable.AllRows.ToList();
        var duplicates = rows.GroupBy(r => r.Reason).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.That(duplicates, Is.Empty, "reasons with more than one row");
        var missing = Enum.GetValues<VirtualDiskErrorReason>().Except(rows.Select(r => r.Reason)).ToList();
        Assert.That(missing, Is.Empty, "reasons without a row");
    }

    [Test]
    public void EveryRowHasASentenceAndAKnownCode()
    {
        var known = Enum.GetValues<VirtualDiskError>().ToHashSet();
        foreach (var row in ReasonTable.AllRows)
        {
            Assert.That(row.Message, Does.EndWith("."), row.Reason.ToString());
            Assert.That(known, Does.Contain(row.Code), row.Reason.ToString());
            Assert.That(VirtualDiskErrors.SymbolOf(row.Code), Does.StartWith("ERROR_"), row.Reason.ToString());
        }
    }

    [TestCase(VirtualDiskErrorReason.VhdxLogReplayed, VirtualDiskReasonSeverity.Warning, VirtualDiskError.AccessDenied)]
    [TestCase(VirtualDiskErrorReason.ParentTimestampMismatch, VirtualDiskReasonSeverity.Warning, VirtualDiskError.VhdChildParentTimestampMismatch)]
    [TestCase(VirtualDiskErrorReason.IsoTooSmall, VirtualDiskReasonSeverity.Error, VirtualDiskError.FileCorrupt)]
    [TestCase(VirtualDiskErrorReason.VhdFooterMissing, VirtualDiskReasonSeverity.Error, VirtualDiskError.VhdDriveFooterMissing)]
    public void SeverityAndCodeComeFromTheRow(VirtualDiskErrorReason reason, VirtualDiskReasonSeverity severity, VirtualDiskError code)
    {
        Assert.That(VirtualDiskErrors.SeverityOf(reason), Is.EqualTo(severity));
        Assert.That(VirtualDiskErrors.IsWarning(reason), Is.EqualTo(severity == VirtualDiskReasonSeverity.Warning));
        Assert.That(VirtualDiskErrors.CodeOf(reason), Is.EqualTo(code));
    }

    [Test]
    public void AValueWithoutARowIsUnclassified()
    {
        Assert.That(VirtualDiskErrors.MessageOf((VirtualDiskErrorReason)99_999), Is.EqualTo("Unclassified failure."));
        Assert.That(VirtualDiskErrors.CodeOf((VirtualDiskErrorReason)(-5)), Is.EqualTo(VirtualDiskError.FileCorrupt));
    }
}
