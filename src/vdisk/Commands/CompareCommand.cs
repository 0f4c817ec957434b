using System.CommandLine;
using VirtualDiskManaged.Cli.CommandLine;

namespace VirtualDiskManaged.Cli.Commands;

/// <summary><c>vdisk compare</c>: <see cref="VirtualDiskOperations.Compare(string, string)"/> (docs/operations.md "compare").</summary>
internal static class CompareCommand
{
    public static CliCommand Build()
    {
        var command = new CliCommand("compare", "are two images' virtual contents equal? (as qemu-img compare)",
            "Compares the virtual contents of A and B (each any image the library opens, chains included) as 'qemu-img compare' "
            + "does without -s: byte for byte up to the smaller size, and the larger image's remainder must read as zeros. "
            + "Only ranges that either image holds data for are read. Prints 'Images are identical.' or 'Content mismatch at "
            + "offset N!' (N the first differing 512-byte sector's offset), and 'Warning: Image size mismatch!' first when the sizes differ. "
            + "The open options apply to both images; without them each is opened as vdisk check opens it (read-only).",
            "0 the contents are equal, 1 they differ or an image could not be opened or read (the message says which)");
        var a = new Argument<string>("A") { Description = "the first image (X.gz is expanded first)" };
        var b = new Argument<string>("B") { Description = "the second image (X.gz is expanded first)" };
        var open = new OpenOptions();
        command.Add(a);
        command.Add(b);
        open.AddTo(command);
        command.SetAction(r =>
        {
            string pa = r.GetValue(a)!, pb = r.GetValue(b)!;
            // The two opens are one reading use: they do not conflict with each other (A and B may share files).
            var options = open.Bind(r).ToReadingOptions() with { ParticipateInSharingRules = false };
            return Reading.WithImage(pa, options, (_, ha) => Reading.WithImage(pb, options, (_, hb) =>
            {
                var result = VirtualDiskOperations.Compare(ha, hb);
                if (result.SizeMismatch) Console.Out.WriteLine("Warning: Image size mismatch!");
                if (result.Identical)
                {
                    Console.Out.WriteLine("Images are identical.");
                    return Program.ExitOk;
                }
                Console.Out.WriteLine(string.Create(Text.Inv, $"Content mismatch at offset {result.FirstDifference}!"));
                return Program.ExitFailed;
            }));
        });
        return command;
    }
}
