using System.Text;

namespace VirtualDiskManaged.FileSystems.Udf;

/// <summary>
/// The path components that make up a symbolic link's data (ECMA-167 4/14.16.1, OSTA UDF 2.60 §2.3.12): type
/// (1 root of an agreed system, 2 the root "/", 3 the parent "..", 4 the same directory ".", 5 a named component),
/// identifier length, version, CS0 identifier. Each component is bounded by the data (Linux udf_pc_to_char fix).
/// </summary>
internal static class UdfPathComponent
{
    private const int HeaderSize = 4;
    private const int TypeOffset = 0;
    private const int LengthOffset = 1;

    public static bool TryDecode(ReadOnlySpan<byte> d, out string target, out string? problem)
    {
        target = "";
        problem = null;
        var sb = new StringBuilder();
        int at = 0;
        bool first = true;
        while (at < d.Length)
        {
            if (d.Length - at < HeaderSize) { problem = "Path component header past the end of the link"; return false; }
            int type = d[at + TypeOffset];
            int length = d[at + LengthOffset];
            if (length > d.Length - at - HeaderSize) { problem = $"Path component of {length} bytes past the end of the link"; return false; }
            var id = d.Slice(at + HeaderSize, length);
            at += HeaderSize + length;
            switch (type)
            {
                case 1 or 2:
                    // 4/14.16.1.1: a root component; its identifier length shall be 0.
                    sb.Clear().Append('/');
                    first = true;
                    continue;
                case 3: Append(".."); break;
                case 4: Append("."); break;
                case 5:
                    if (!UdfCompressedUnicode.TryDecode(id, out var name)) { problem = "Path component name with an unknown compression id"; return false; }
                    Append(name);
                    break;
                default:
                    problem = $"Path component type {type}";
                    return false;
            }
        }
        target = sb.ToString();
        return true;

        void Append(string s)
        {
            if (!first) sb.Append('/');
            sb.Append(s);
            first = false;
        }
    }
}
