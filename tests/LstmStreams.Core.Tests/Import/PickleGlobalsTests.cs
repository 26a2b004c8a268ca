using System.Text;
using LstmStreams.Core.Import;

namespace LstmStreams.Core.Tests.Import;

public sealed class PickleGlobalsTests
{
    private static byte[] Bytes(params object[] parts) =>
        parts.SelectMany(p => p switch
        {
            string s => Encoding.UTF8.GetBytes(s),
            byte b => [b],
            int i => [(byte)i],
            byte[] a => a,
            _ => throw new ArgumentException("part"),
        }).ToArray();

    private static byte[] Short(string text) => Bytes(0x8c, (byte)Encoding.UTF8.GetByteCount(text), text);

    [Fact]
    public void Scan_lists_GLOBAL_and_INST_names_once_in_order()
    {
        var pickle = Bytes(0x80, 2, "ccollections\nOrderedDict\n", ")R", "cposix\nsystem\n", "(", "ios\nsystem\n", "ccollections\nOrderedDict\n", ".");
        Assert.Equal(["collections.OrderedDict", "posix.system", "os.system"], PickleGlobals.Scan(pickle));
    }

    [Fact]
    public void Scan_reads_STACK_GLOBAL_names_from_the_strings_pushed_before_it_even_through_the_memo()
    {
        var pickle = Bytes(0x80, 4, Short("builtins"), 0x94, Short("exec"), 0x94, 0x93, 0x94,
            "h", 0, "h", 1, 0x93, ".");
        Assert.Equal(["builtins.exec"], PickleGlobals.Scan(pickle));
    }

    [Fact]
    public void Scan_reports_a_STACK_GLOBAL_whose_names_are_not_plain_pushes_as_unnamed()
    {
        // push "os", "system", "x"; POP; STACK_GLOBAL takes "os" and "system" but only by running the stack
        var pickle = Bytes(0x80, 4, Short("os"), Short("system"), Short("x"), "0", 0x93, ".");
        Assert.Equal([PickleGlobals.Unnamed], PickleGlobals.Scan(pickle));
    }

    [Fact]
    public void Scan_reports_extension_codes_as_unnamed()
    {
        Assert.Equal([PickleGlobals.Unnamed], PickleGlobals.Scan(Bytes(0x80, 2, 0x82, 1, ")R.")));
    }

    [Theory]
    [InlineData(new byte[] { 0x80, 2, (byte)'X', 9, 0, 0, 0, (byte)'a', (byte)'.' })]
    [InlineData(new byte[] { 0x80, 2, (byte)'c', (byte)'o', (byte)'s' })]
    [InlineData(new byte[] { 0x80, 2, (byte)'N' })]
    [InlineData(new byte[] { 0x80, 2, 0xff, (byte)'.' })]
    public void Scan_refuses_truncated_or_unknown_opcodes(byte[] pickle)
    {
        Assert.Throws<FormatException>(() => PickleGlobals.Scan(pickle));
    }
}
