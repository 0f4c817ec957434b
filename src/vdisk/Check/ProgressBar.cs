using VirtualDiskManaged.Cli.CommandLine;

namespace VirtualDiskManaged.Cli.Check;

/// <summary>
/// A one-line progress bar on stderr for --deep: images done, bytes read. Drawn only on a terminal
/// (stderr not redirected) and never when the CI environment variable is set.
/// </summary>
internal sealed class ProgressBar : IDisposable
{
    private readonly int _total;
    private readonly object _gate;
    private readonly Timer _timer;
    private long _bytes;
    private int _done;
    private bool _drawn;
    private bool _stopped;

    public static bool Wanted => !Console.IsErrorRedirected && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"));

    public ProgressBar(int total, object gate)
    {
        _total = total;
        _gate = gate;
        _timer = new Timer(_ => Draw(), null, 250, 250);
    }

    public void AddBytes(long n) => Interlocked.Add(ref _bytes, n);

    public void ImageDone() => Interlocked.Increment(ref _done);

    /// <summary>Erases the bar (call under the output lock before writing a result line).</summary>
    public void Clear()
    {
        if (!_drawn) return;
        Terminal.RawError.Write("\r\x1b[K");
        _drawn = false;
    }

    private void Draw()
    {
        lock (_gate)
        {
            if (_stopped) return;
            int done = Volatile.Read(ref _done);
            const int width = 30;
            int filled = _total == 0 ? width : (int)((long)done * width / _total);
            string bar = new string('#', filled) + new string('.', width - filled);
            Terminal.RawError.Write($"\r\x1b[K[{bar}] {done}/{_total} images, {Interlocked.Read(ref _bytes) / (1 << 20):N0} MiB read");
            _drawn = true;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _stopped = true;
            Clear();
        }
        _timer.Dispose();
    }
}
