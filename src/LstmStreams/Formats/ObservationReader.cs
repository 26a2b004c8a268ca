using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;
using Akka;
using Akka.Streams;
using Akka.Streams.Dsl;
using LstmStreams.Pipeline;

namespace LstmStreams.Formats;

/// <summary>
/// Reads observation lines from a stream of UTF-8 bytes (a file, a pipe) in large chunks of whole lines
/// (<see cref="ReadChunk"/>, one thread), and parses a chunk's lines in place, no string per line, into groups
/// of observations (<see cref="Parse"/>, any thread: several chunks may be parsed at once, each with a parser
/// of its own, and their groups put back in chunk order by the caller). A chunk holds what one read brought,
/// so a live pipe's lines go on at once and a file's go in chunks of the read size. Unparsable lines become
/// error records with their line number; empty lines are skipped; a line ending in CR LF loses its CR; a
/// UTF-8 byte order mark is skipped.
/// </summary>
public sealed class ObservationReader : IDisposable
{
    /// <summary>Parses one line (without its line break) at a position (1-based line number). A parser need not
    /// be thread-safe: each is used by one thread at a time.</summary>
    public delegate ParsedLine LineParser(ReadOnlySpan<byte> line, long position);

    private readonly Stream _stream;
    private readonly Action<ObservationError> _onError;
    private readonly int _maxLineBytes;
    private readonly System.Collections.Concurrent.ConcurrentBag<LineParser> _parsers = [];
    private Func<LineParser>? _newParser;
    private byte[] _buffer; // bytes read and not yet handed out as a chunk: [_start, _end)
    private int _start, _end;
    private bool _endOfInput, _skippingLongLine, _firstRead = true;
    private long _position, _errors;

    /// <summary>Reads <paramref name="stream"/>.</summary>
    /// <param name="stream">The input; disposed with the reader.</param>
    /// <param name="newParser">Makes a line parser (one per thread that parses at once); null until set by
    /// <see cref="UseParser"/>, e.g. after a CSV header.</param>
    /// <param name="onError">Receives the error record of each unparsable line (on the parsing thread; must be
    /// thread-safe).</param>
    /// <param name="readBytes">The read size: a file's chunks are about this large.</param>
    /// <param name="maxLineBytes">Longer lines become an error record and are skipped.</param>
    public ObservationReader(Stream stream, Func<LineParser>? newParser, Action<ObservationError> onError, int readBytes = 1 << 17, int maxLineBytes = 1 << 24)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(onError);
        ArgumentOutOfRangeException.ThrowIfLessThan(readBytes, 16);
        (_stream, _newParser, _onError, _maxLineBytes) = (stream, newParser, onError, Math.Max(maxLineBytes, readBytes));
        _buffer = ArrayPool<byte>.Shared.Rent(readBytes);
    }

    /// <summary>Lines that became error records so far.</summary>
    public long Errors => Interlocked.Read(ref _errors);

    /// <summary>Sets how line parsers are made (after reading a header).</summary>
    public void UseParser(Func<LineParser> newParser) => _newParser = newParser;

    /// <summary>Reads the next line as text (a CSV header); null at the end of the input. Call before any chunk.</summary>
    public string? ReadLine()
    {
        while (true)
        {
            int newline = _buffer.AsSpan(_start, _end - _start).IndexOf((byte)'\n');
            if (newline >= 0 || _endOfInput)
            {
                int length = newline >= 0 ? newline : _end - _start;
                if (newline < 0 && length == 0) return null;
                string line = Encoding.UTF8.GetString(_buffer, _start, length).TrimEnd('\r');
                _start += newline >= 0 ? newline + 1 : length;
                _position++;
                return line;
            }

            Fill();
        }
    }

    /// <summary>
    /// The next run of whole lines: at least one (waiting for input when none is buffered), no more than the
    /// input has ready; null once the input has ended. Call from one thread.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public LineChunk? ReadChunk()
    {
        while (true)
        {
            int lastNewline = _buffer.AsSpan(_start, _end - _start).LastIndexOf((byte)'\n');
            if (lastNewline >= 0 || (_endOfInput && _end > _start))
            {
                int length = lastNewline >= 0 ? lastNewline + 1 : _end - _start;
                // Hand the lines over in a buffer of their own and keep the partial last line in this one.
                var bytes = ArrayPool<byte>.Shared.Rent(length);
                Buffer.BlockCopy(_buffer, _start, bytes, 0, length);
                _start += length;
                int lines = bytes.AsSpan(0, length).Count((byte)'\n') + (bytes[length - 1] == (byte)'\n' ? 0 : 1);
                var chunk = new LineChunk(bytes, length, _position + 1, _skippingLongLine);
                _position += _skippingLongLine ? lines - 1 : lines; // the over-long line's tail was counted when reported
                _skippingLongLine = false;
                return chunk;
            }

            if (_endOfInput) return null;
            Fill();
        }
    }

    /// <summary>
    /// Parses a chunk's lines into groups of at most <paramref name="maxGroup"/> observations, in line order;
    /// reports the error records; gives the chunk's buffer back. Thread-safe: chunks may be parsed at once.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public List<Observation[]> Parse(LineChunk chunk, int maxGroup)
    {
        if (_newParser is null) throw new InvalidOperationException("no line parser: call UseParser first.");
        var parse = _parsers.TryTake(out var free) ? free : _newParser();
        var groups = new List<Observation[]>(1);
        var group = new List<Observation>(Math.Min(maxGroup, 256));
        try
        {
            var text = chunk.Bytes.AsSpan(0, chunk.Length);
            long position = chunk.FirstPosition;
            bool skip = chunk.StartsInsideLongLine;
            while (!text.IsEmpty)
            {
                int newline = text.IndexOf((byte)'\n');
                var line = newline >= 0 ? text[..newline] : text;
                text = newline >= 0 ? text[(newline + 1)..] : default;
                if (skip)
                {
                    skip = false; // the rest of an over-long line, already reported
                    continue;
                }

                if (!line.IsEmpty && line[^1] == (byte)'\r') line = line[..^1];
                if (!line.IsEmpty)
                {
                    var parsed = parse(line, position);
                    if (parsed.Observation is { } observation)
                    {
                        group.Add(observation);
                        if (group.Count == maxGroup)
                        {
                            groups.Add(group.ToArray());
                            group.Clear();
                        }
                    }
                    else Report(parsed.Error!);
                }

                position++;
            }
        }
        finally
        {
            _parsers.Add(parse);
            ArrayPool<byte>.Shared.Return(chunk.Bytes);
        }

        if (group.Count > 0) groups.Add(group.ToArray());
        return groups;
    }

    /// <summary>
    /// The input's observations as a source of groups (of at most <paramref name="maxGroup"/>; use
    /// <see cref="LstmStream.MaxGroupSize"/>). Chunks are read on the blocking-IO dispatcher (a read may block on an
    /// idle pipe) and parsed on threads of their own (<see cref="ParsingThreads"/>, not the pool that runs the stream's
    /// actors), up to one chunk per core at once, their groups kept in input order, so each sequence's order is kept.
    /// The source disposes the reader when it ends. Materialize it once.
    /// </summary>
    public Source<IReadOnlyList<Observation>, NotUsed> Groups(int maxGroup)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxGroup, 1);
        var parsing = new ParsingThreads(Environment.ProcessorCount);
        return Source.UnfoldResource<LineChunk, ObservationReader>(
                () => this,
                r => r.ReadChunk() is { } chunk ? Akka.Util.Option<LineChunk>.Create(chunk) : Akka.Util.Option<LineChunk>.None,
                r => r.Dispose())
            .WithAttributes(ActorAttributes.CreateDispatcher("akka.stream.default-blocking-io-dispatcher"))
            .Async()
            .SelectAsync(Environment.ProcessorCount, chunk => parsing.Run(() => Parse(chunk, maxGroup)))
            .WatchTermination((_, done) =>
            {
                done.ContinueWith(_ => parsing.Dispose(), TaskScheduler.Default); // no chunk comes after
                return NotUsed.Instance;
            })
            .SelectMany<List<Observation[]>, IReadOnlyList<Observation>, NotUsed>(groups => groups);
    }

    private void Report(ObservationError error)
    {
        Interlocked.Increment(ref _errors);
        _onError(error);
    }

    /// <summary>Reads more input behind what is buffered (blocking); grows the buffer for a long line.</summary>
    private void Fill()
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            (_end, _start) = (_end - _start, 0);
        }

        if (_end == _buffer.Length)
        {
            if (_skippingLongLine && _buffer.Length >= _maxLineBytes)
            {
                _end = 0; // more of the over-long line being dropped
            }
            else if (_buffer.Length >= _maxLineBytes)
            {
                // A line longer than any we keep: report it once and drop it up to its line break.
                Report(new ObservationError(++_position, null, $"line longer than {_maxLineBytes:N0} bytes: not an observation (is the input a JSONL or CSV file?)."));
                (_end, _skippingLongLine) = (0, true);
            }
            else
            {
                var larger = ArrayPool<byte>.Shared.Rent(Math.Min(_buffer.Length * 2, _maxLineBytes));
                Buffer.BlockCopy(_buffer, 0, larger, 0, _end);
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = larger;
            }
        }

        int read = _stream.Read(_buffer, _end, _buffer.Length - _end);
        if (read == 0)
        {
            _endOfInput = true;
            return;
        }

        _end += read;
        if (_firstRead && _end >= 3 && _buffer.AsSpan(0, 3).SequenceEqual("\uFEFF"u8))
            _start = 3; // a UTF-8 byte order mark
        _firstRead = _firstRead && _end < 3;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _stream.Dispose();
        var buffer = Interlocked.Exchange(ref _buffer, []);
        if (buffer.Length > 0) ArrayPool<byte>.Shared.Return(buffer);
    }
}

/// <summary>Whole lines read from the input, in a pooled buffer that <see cref="ObservationReader.Parse"/> gives back.</summary>
/// <param name="Bytes">The buffer; [0, Length) holds the lines.</param>
/// <param name="Length">Bytes used.</param>
/// <param name="FirstPosition">The first line's number (1-based).</param>
/// <param name="StartsInsideLongLine">The first "line" is the end of an over-long line already reported.</param>
public sealed record LineChunk(byte[] Bytes, int Length, long FirstPosition, bool StartsInsideLongLine);
