using System.Text;
using LstmStreams.Formats;
using LstmStreams.Pipeline;

namespace LstmStreams.Tests.Formats;

/// <summary>Lines read in chunks from bytes: positions, line ends, long lines, and any read size.</summary>
public sealed class ObservationReaderTests
{
    /// <summary>A stream that returns at most <c>step</c> bytes per read, as a pipe does.</summary>
    private sealed class Trickle(byte[] bytes, int step) : MemoryStream(bytes)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, step));
    }

    private static (List<Observation> Observations, List<ObservationError> Errors) ReadAll(string text, int step, int readBytes = 64, int maxLine = 256, int maxGroup = 3)
    {
        var errors = new List<ObservationError>();
        using var reader = new ObservationReader(new Trickle(Encoding.UTF8.GetBytes(text), step), () =>
        {
            var parser = new JsonlObservations();
            return (line, position) => parser.Read(line, position);
        }, e => { lock (errors) errors.Add(e); }, readBytes, maxLine);
        var observations = new List<Observation>();
        while (reader.ReadChunk() is { } chunk)
        {
            foreach (var group in reader.Parse(chunk, maxGroup))
            {
                Assert.InRange(group.Length, 1, maxGroup);
                observations.AddRange(group);
            }
        }

        Assert.Equal(errors.Count, reader.Errors);
        return (observations, errors);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(64)]
    [InlineData(100_000)]
    public void Reader_gives_every_line_its_number_whatever_the_read_size(int step)
    {
        string longLine = "{\"seq\": \"" + new string('z', 400) + "\", \"x\": [1]}";
        string text = "\uFEFF{\"seq\": \"a\", \"x\": [1]}\r\n\n{\"seq\": \"b\", \"x\": [2]}\nnot json\n" + longLine + "\n{\"seq\": \"c\", \"x\": [3]}\r\n{\"seq\": \"d\", \"x\": [4]}";
        var (observations, errors) = ReadAll(text, step);
        Assert.Equal(["a", "b", "c", "d"], observations.Select(o => o.SequenceId));
        Assert.Equal([1L, 3L, 6L, 7L], observations.Select(o => o.Position));
        Assert.Equal([4L, 5L], errors.Select(e => e.Position).Order());
        Assert.Contains("line longer than 256 bytes", errors.Single(e => e.Position == 5).Reason);
    }

    [Fact]
    public void Reader_reads_a_header_line_before_the_chunks()
    {
        using var reader = new ObservationReader(new Trickle(Encoding.UTF8.GetBytes("seq,x0\r\na,1\nb,2"), 3), null, _ => { });
        Assert.Equal("seq,x0", reader.ReadLine());
        var csv = CsvObservations.FromHeader("seq,x0");
        reader.UseParser(() => csv.Copy().Read);
        var ids = new List<string>();
        while (reader.ReadChunk() is { } chunk)
            foreach (var group in reader.Parse(chunk, 10)) ids.AddRange(group.Select(o => $"{o.SequenceId}@{o.Position}"));
        Assert.Equal(["a@2", "b@3"], ids);
    }

    [Fact]
    public void Sequence_ids_are_one_string_per_id_and_invalid_utf8_is_refused()
    {
        var parser = new JsonlObservations();
        var first = parser.Read("""{"seq": "pump-7", "x": [1]}"""u8, 1).Observation!;
        var second = parser.Read("""{"x": [2], "seq": "pump-7"}"""u8, 2).Observation!;
        Assert.Same(first.SequenceId, second.SequenceId);
        byte[] invalid = [.. "{\"seq\": \"s-3"u8, 0xFF, .. "\", \"x\": [1]}"u8];
        Assert.Contains("not valid UTF-8", parser.Read(invalid, 3).Error!.Reason);
        Assert.Contains("cannot be read", parser.Read("""{"seq": "a\ud800", "x": [1]}"""u8, 4).Error!.Reason);
        Assert.Equal("a\u00e9", parser.Read("""{"seq": "a\u00e9", "x": [1]}"""u8, 5).Observation!.SequenceId);
    }

    [Fact]
    public void Id_table_keeps_two_generations_and_still_answers_every_id()
    {
        var ids = new SequenceIds(capacity: 4);
        var seen = new Dictionary<string, string>();
        for (int round = 0; round < 3; round++)
        {
            for (int i = 0; i < 20; i++)
            {
                string id = ids.Get(Encoding.UTF8.GetBytes($"id-{i}"))!;
                Assert.Equal($"id-{i}", id);
                seen[id] = id;
            }
        }

        // The two most recent ids are in the current generation: the same instance comes back.
        Assert.Same(ids.Get("id-19"u8), ids.Get("id-19"u8));
    }

    [Fact]
    public void Id_table_returns_one_string_per_id_as_it_grows()
    {
        var ids = new SequenceIds();
        // Ids that are prefixes of each other and of every length up to the interning limit, so the shared byte
        // buffer's bounds are checked as the table grows past its first sizes.
        var keys = new List<string>();
        for (int i = 0; i < 3000; i++) keys.Add($"s/{i}");
        for (int n = 1; n <= SequenceIds.MaxInternedLength; n++) keys.Add(new string('a', n));
        var first = keys.Select(k => ids.Get(Encoding.UTF8.GetBytes(k))!).ToList();
        for (int i = 0; i < keys.Count; i++)
        {
            Assert.Equal(keys[i], first[i]);
            Assert.Same(first[i], ids.Get(Encoding.UTF8.GetBytes(keys[i])));
        }

        string accented = ids.Get(Encoding.UTF8.GetBytes("é/1"))!;
        Assert.Equal("é/1", accented);
        Assert.Same(accented, ids.Get(Encoding.UTF8.GetBytes("é/1")));
    }
}
