using VirtualDiskManaged.Host;

namespace VirtualDiskManaged.OpenPath;

/// <summary>How an open handle counts for the in-process conflict rules (docs/open-path.md §11).</summary>
internal readonly record struct SharingClass(bool ReadOnlyClass, bool Attaches, bool Benign, bool Writes)
{
    public static SharingClass Of(OpenRequest r)
    {
        if (r.Version != OpenVirtualDiskVersion.Version1)
        {
            var p = r.Parameters!;
            // V2/V3: ReadOnly = false counts as ATTACH_RW; ReadOnly or GetInfoOnly conflicts only with writers.
            return p.ReadOnly || p.GetInfoOnly ? new(true, false, true, false) : new(false, true, false, true);
        }
        var m = r.Access;
        const VirtualDiskAccessMask benignBits = VirtualDiskAccessMask.Detach | VirtualDiskAccessMask.GetInfo;
        return new(false,
            (m & (VirtualDiskAccessMask.AttachRO | VirtualDiskAccessMask.AttachRW)) != 0,
            (m & ~benignBits) == 0,
            (m & (VirtualDiskAccessMask.AttachRW | VirtualDiskAccessMask.MetaOps | VirtualDiskAccessMask.Create)) != 0);
    }

    /// <summary>Windows' documented rules: attaching needs every other handle benign; a non-benign open fails while another handle attaches.</summary>
    public bool ConflictsWith(SharingClass existing)
    {
        if (ReadOnlyClass) return existing.Writes;
        if (existing.ReadOnlyClass) return Writes;
        return (Attaches && !existing.Benign) || (!Benign && existing.Attaches);
    }
}

/// <summary>The top-level handles open in this process, by file identity.</summary>
internal static class HandleTable
{
    private static readonly Dictionary<FileIdentity, List<Registration>> Open = [];

    internal sealed class Registration(FileIdentity identity, SharingClass sharing) : IDisposable
    {
        public FileIdentity Identity { get; } = identity;
        public SharingClass Sharing { get; } = sharing;
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) != 0) return;
            lock (Open)
            {
                if (Open.TryGetValue(Identity, out var list))
                {
                    list.Remove(this);
                    if (list.Count == 0) Open.Remove(Identity);
                }
            }
        }
    }

    /// <summary>Registers a new handle, or returns false when it conflicts with one already open.</summary>
    public static bool TryRegister(FileIdentity identity, SharingClass sharing, out Registration? registration)
    {
        lock (Open)
        {
            if (Open.TryGetValue(identity, out var list))
            {
                foreach (var existing in list)
                {
                    if (sharing.ConflictsWith(existing.Sharing)) { registration = null; return false; }
                }
            }
            else
            {
                list = [];
                Open[identity] = list;
            }
            registration = new Registration(identity, sharing);
            list.Add(registration);
            return true;
        }
    }
}
