using System.Diagnostics;
using VirtualDiskManaged.Tests.Support;

namespace VirtualDiskManaged.Tests.Write;

/// <summary>
/// The test assembly's entry point, used only as a child process: <c>dotnet VirtualDiskManaged.Tests.dll
/// write-harness image seed writes</c> opens the image writable and runs the seeded workload of
/// <see cref="CrashConsistencyTests.Workload"/>, printing "done i" after operation i completes. The kill tests kill it
/// at random instants (a crash with the page cache intact) and check the image.
/// </summary>
public static class WriteHarness
{
    public static int Main(string[] args)
    {
        if (args.Length != 4 || args[0] != "write-harness") return 2;
        var workload = CrashConsistencyTests.Workload(new Random(int.Parse(args[2])), int.Parse(args[3]));
        using var disk = VirtualDisk.Open(args[1], WriteImages.ReadWrite);
        var output = Console.Out;
        uint id = 1;
        for (int i = 0; i < workload.Count; i++)
        {
            var (flush, offset, length) = workload[i];
            if (flush) disk.Flush();
            else disk.Write(offset, CrashConsistencyTests.Data(id++, offset, length));
            output.WriteLine($"done {i}");
            output.Flush();
        }
        return 0;
    }
}

/// <summary>Kills a writing child process at random instants and checks the image as the crash tests do.</summary>
public sealed class ProcessKillTests
{
    private const long Size = 8 * WriteImages.MiB;
    private static IEnumerable<WriteKind> Kinds => Enum.GetValues<WriteKind>();
    private static int Soak => int.TryParse(Environment.GetEnvironmentVariable("VDM_WRITE_SOAK"), out int n) && n > 0 ? n : 1;

    [TestCaseSource(nameof(Kinds))]
    public void KillAWritingProcess(WriteKind kind)
    {
        string dll = typeof(WriteHarness).Assembly.Location;
        string folder = TestPaths.NewTempFolder("killp");
        try
        {
            var random = new Random(4321 + (int)kind);
            for (int round = 0; round < 2 * Soak; round++)
            {
                var (path, initial) = WriteImages.Create(kind, folder, Size);
                int seed = random.Next();
                const int writes = 400;
                var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
                foreach (var a in new[] { dll, "write-harness", path, seed.ToString(), writes.ToString() }) psi.ArgumentList.Add(a);
                using var child = Process.Start(psi)!;
                int completed = -1;
                string? line;
                int killAfter = random.Next(1, 120);
                while ((line = child.StandardOutput.ReadLine()) is not null)
                {
                    completed = int.Parse(line[5..]);
                    if (completed + 1 >= killAfter) break;
                }
                child.Kill();
                while ((line = child.StandardOutput.ReadLine()) is not null) completed = int.Parse(line[5..]);
                child.WaitForExit();
                int done = completed + 1; // operations known complete; the next one may be in flight

                // The workload's operations on a doubled scale: op i spans [2i, 2i + 2); the cut 2·done + 1 lies inside op "done".
                var workload = CrashConsistencyTests.Workload(new Random(seed), writes);
                var userOps = new List<CrashConsistencyTests.UserOp>();
                uint id = 1;
                for (int i = 0; i < workload.Count; i++)
                {
                    var (flush, offset, length) = workload[i];
                    userOps.Add(new(flush, offset, length, flush ? 0 : id, 2 * i, 2 * i + 2));
                    if (!flush) id++;
                }
                string? problem = CrashConsistencyTests.Check(path, initial, userOps, 2 * done + 1, CrashConsistencyTests.TouchedSectors(userOps));
                Assert.That(problem, Is.Null, $"{kind}: killed after {done} operations (seed {seed})");
                if (WriteImages.IsVhdx(kind) && !WriteImages.IsDifferencing(kind) && TestPaths.HasTool("qemu-img"))
                {
                    using (VirtualDisk.Open(path, WriteImages.ReadWrite)) { }
                    var (code, output) = Vhdx.VhdxTestSupport.Run("qemu-img", "check", "-f", "vhdx", path);
                    Assert.That(code, Is.EqualTo(0), output);
                }
                foreach (var f in Directory.GetFiles(folder)) File.Delete(f);
            }
        }
        finally { Directory.Delete(folder, true); }
    }
}
