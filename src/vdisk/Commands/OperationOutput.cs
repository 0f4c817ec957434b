namespace VirtualDiskManaged.Cli.Commands;

/// <summary>What the operation commands (convert, map, compare, repair) share: the failure lines and the progress bar.</summary>
internal static class OperationOutput
{
    /// <summary>"vdisk: PATH: code reason: message" and the file the failure is about when it is another one; exit status 1.</summary>
    public static int Fail(string path, VirtualDiskDiagnostic failure)
    {
        Console.Error.WriteLine($"vdisk: {path}: {Text.Code(failure.ErrorCode)} {failure.Reason}: {Text.Message(failure)}");
        string? file = failure.Root.FilePath ?? failure.FilePath;
        if (file is not null && file != path && file != Path.GetFullPath(path)) Console.Error.WriteLine($"vdisk: file: {file}");
        return Program.ExitFailed;
    }

    /// <summary>A one-line progress bar on stderr, drawn only when stderr is a terminal, at most every 1/10 s.</summary>
    public sealed class Bar : IProgress<ConvertProgress>, IDisposable
    {
        private readonly bool _enabled = !Console.IsErrorRedirected;
        private long _lastTicks;
        private bool _drawn;

        public void Report(ConvertProgress value)
        {
            if (!_enabled || value.BytesTotal <= 0) return;
            long now = Environment.TickCount64;
            if (now - _lastTicks < 100 && value.BytesDone < value.BytesTotal) return;
            _lastTicks = now;
            double fraction = Math.Clamp(value.BytesDone / (double)value.BytesTotal, 0, 1);
            int filled = (int)(fraction * 30);
            Console.Error.Write($"\r[{new string('#', filled)}{new string(' ', 30 - filled)}] {fraction * 100,5:0.0}% {Short(value.BytesDone)} of {Short(value.BytesTotal)}  ");
            _drawn = true;
        }

        private static string Short(long bytes)
        {
            string[] units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
            double v = bytes;
            int u = 0;
            while (v >= 1024 && u < units.Length - 1) { v /= 1024; u++; }
            return string.Create(Text.Inv, $"{v:0.#} {units[u]}");
        }

        public void Dispose()
        {
            if (_drawn) Console.Error.WriteLine();
            _drawn = false;
        }
    }
}
