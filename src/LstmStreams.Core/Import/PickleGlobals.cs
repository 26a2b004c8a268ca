using System.Buffers.Binary;
using System.Text;

namespace LstmStreams.Core.Import;

/// <summary>
/// Lists the globals (<c>module.name</c>) a pickle asks for, by walking its opcodes without running any of them.
/// A pickle can only call what it first names as a global (GLOBAL, INST, STACK_GLOBAL); checking every name
/// against an allowlist before unpickling is what keeps a pickle from reaching code it should not.
/// A STACK_GLOBAL whose two names are not the strings pushed just before it (as Python's pickler writes it),
/// and extension codes (EXT1/2/4), cannot be named statically and are reported as unreadable.
/// </summary>
internal static class PickleGlobals
{
    /// <summary>The name reported for a global whose name cannot be read without running the pickle.</summary>
    public const string Unnamed = "<a global whose name is computed at load time>";

    /// <summary>Every global the pickle names, in order of appearance (repeats kept once).</summary>
    /// <exception cref="FormatException">The opcode stream is malformed or truncated; the message says where.</exception>
    public static IReadOnlyList<string> Scan(ReadOnlySpan<byte> pickle)
    {
        var found = new List<string>();
        var memo = new Dictionary<long, string?>();
        var recent = new List<string>(); // strings pushed since the last opcode that was not a push or a memo put
        string? top = null;              // the last pushed value when it is a string
        int at = 0;
        while (true)
        {
            if (at >= pickle.Length) throw new FormatException($"the pickle ends at byte {at} without a STOP opcode");
            int start = at;
            byte op = pickle[at++];
            string? pushed = null;
            bool keepRecent = false;
            switch (op)
            {
                case (byte)'.': // STOP
                    return found;
                case (byte)'c' or (byte)'i': // GLOBAL, INST: "module\nname\n"
                    Add(found, Line(pickle, ref at, start) + "." + Line(pickle, ref at, start));
                    break;
                case 0x93: // STACK_GLOBAL
                    Add(found, recent.Count >= 2 ? recent[^2] + "." + recent[^1] : Unnamed);
                    break;
                case 0x82 or 0x83 or 0x84: // EXT1, EXT2, EXT4
                    Add(found, Unnamed);
                    at += op == 0x82 ? 1 : op == 0x83 ? 2 : 4;
                    break;
                case (byte)'p': // PUT
                    memo[long.Parse(Line(pickle, ref at, start), System.Globalization.CultureInfo.InvariantCulture)] = top;
                    keepRecent = true;
                    break;
                case (byte)'q': memo[Bytes(pickle, ref at, 1, start)[0]] = top; keepRecent = true; break; // BINPUT
                case (byte)'r': memo[BinaryPrimitives.ReadUInt32LittleEndian(Bytes(pickle, ref at, 4, start))] = top; keepRecent = true; break; // LONG_BINPUT
                case 0x94: memo[memo.Count] = top; keepRecent = true; break; // MEMOIZE
                case (byte)'g': // GET
                    pushed = Get(memo, long.Parse(Line(pickle, ref at, start), System.Globalization.CultureInfo.InvariantCulture));
                    keepRecent = pushed is not null;
                    break;
                case (byte)'h': pushed = Get(memo, Bytes(pickle, ref at, 1, start)[0]); keepRecent = pushed is not null; break; // BINGET
                case (byte)'j': pushed = Get(memo, BinaryPrimitives.ReadUInt32LittleEndian(Bytes(pickle, ref at, 4, start))); keepRecent = pushed is not null; break; // LONG_BINGET
                case (byte)'X': pushed = Utf8(Counted(pickle, ref at, 4, start)); keepRecent = true; break; // BINUNICODE
                case 0x8c: pushed = Utf8(Counted(pickle, ref at, 1, start)); keepRecent = true; break;     // SHORT_BINUNICODE
                case 0x8d: pushed = Utf8(Counted(pickle, ref at, 8, start)); keepRecent = true; break;     // BINUNICODE8
                case (byte)'V': pushed = Line(pickle, ref at, start); keepRecent = true; break;           // UNICODE
                default:
                    Skip(pickle, ref at, op, start);
                    break;
            }

            if (!keepRecent) recent.Clear();
            if (pushed is not null) recent.Add(pushed);
            top = pushed ?? (keepRecent ? top : null);
        }
    }

    private static void Add(List<string> found, string name)
    {
        if (!found.Contains(name)) found.Add(name);
    }

    private static string? Get(Dictionary<long, string?> memo, long key) => memo.GetValueOrDefault(key);

    /// <summary>Moves past the argument of an opcode that names no global and pushes no string we track.</summary>
    private static void Skip(ReadOnlySpan<byte> pickle, ref int at, byte op, int start)
    {
        switch (op)
        {
            case (byte)'(' or (byte)'0' or (byte)'1' or (byte)'2' or (byte)'N' or (byte)'R' or (byte)'a' or (byte)'b'
                or (byte)'d' or (byte)'}' or (byte)'e' or (byte)'l' or (byte)']' or (byte)'o' or (byte)'s' or (byte)'t'
                or (byte)')' or (byte)'u' or (byte)'Q' or 0x81 or 0x85 or 0x86 or 0x87 or 0x88 or 0x89 or 0x8f or 0x90
                or 0x91 or 0x92 or 0x97 or 0x98:
                return;
            case (byte)'F' or (byte)'I' or (byte)'L' or (byte)'P' or (byte)'S':
                Line(pickle, ref at, start);
                return;
            case (byte)'K' or 0x80: Bytes(pickle, ref at, 1, start); return;
            case (byte)'M': Bytes(pickle, ref at, 2, start); return;
            case (byte)'J': Bytes(pickle, ref at, 4, start); return;
            case (byte)'G' or 0x95: Bytes(pickle, ref at, 8, start); return;
            case (byte)'U' or (byte)'C' or 0x8a: Counted(pickle, ref at, 1, start); return;
            case (byte)'T' or (byte)'B' or 0x8b: Counted(pickle, ref at, 4, start); return;
            case 0x8e or 0x96: Counted(pickle, ref at, 8, start); return;
            default:
                throw new FormatException($"unknown pickle opcode 0x{op:x2} at byte {start}");
        }
    }

    private static ReadOnlySpan<byte> Bytes(ReadOnlySpan<byte> pickle, ref int at, long count, int start)
    {
        if (count < 0 || count > pickle.Length - at)
            throw new FormatException($"the opcode at byte {start} runs past the end of the pickle");
        var bytes = pickle.Slice(at, (int)count);
        at += (int)count;
        return bytes;
    }

    private static ReadOnlySpan<byte> Counted(ReadOnlySpan<byte> pickle, ref int at, int width, int start)
    {
        var size = Bytes(pickle, ref at, width, start);
        long count = width switch
        {
            1 => size[0],
            4 => BinaryPrimitives.ReadUInt32LittleEndian(size),
            _ => BinaryPrimitives.ReadInt64LittleEndian(size),
        };
        return Bytes(pickle, ref at, count, start);
    }

    private static string Line(ReadOnlySpan<byte> pickle, ref int at, int start)
    {
        int end = pickle[at..].IndexOf((byte)'\n');
        if (end < 0) throw new FormatException($"the opcode at byte {start} runs past the end of the pickle");
        string text = Encoding.UTF8.GetString(pickle.Slice(at, end));
        at += end + 1;
        return text;
    }

    private static string Utf8(ReadOnlySpan<byte> bytes) => Encoding.UTF8.GetString(bytes);
}
