using System.Net;
using System.Net.Sockets;
using MQTTnet.Channel;

namespace LstmStreams.Mqtt;

/// <summary>
/// Backpressure at the socket: the input connection's TCP stream reads only while the source has room for
/// another unacknowledged message. A broker that keeps to our receive-maximum never notices; one that does not
/// (Mosquitto 2.0.11 releases up to receive-maximum more messages per PUBACK) fills the TCP window and keeps
/// the rest itself, instead of the MQTT client queueing them in this process without bound. At most one read
/// buffer's worth of messages (a few kB) can arrive past the limit; the source holds those off too.
/// Used for plain TCP; with TLS MQTTnet's own stream is used and only the source's own bound applies.
/// </summary>
internal sealed class ReadGate(Func<bool> mayRead) : IMqttClientStreamProvider
{
    private const int ReceiveBufferBytes = 128 * 1024;
    private const int ReadBufferBytes = 16 * 1024;
    private static readonly TimeSpan Recheck = TimeSpan.FromMilliseconds(200);
    private TaskCompletionSource _wake = NewWake();

    /// <summary>Room was freed: a waiting read re-checks.</summary>
    public void Wake() => Interlocked.Exchange(ref _wake, NewWake()).TrySetResult();

    /// <inheritdoc />
    public async Task<Stream> ConnectAsync(EndPoint brokerEndPoint, CancellationToken cancellationToken)
    {
        // A small receive buffer keeps the TCP window small, so little can be in flight past the gate.
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveBufferSize = ReceiveBufferBytes };
        try
        {
            await socket.ConnectAsync(brokerEndPoint, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new GatedStream(new NetworkStream(socket, ownsSocket: true), this);
    }

    private async ValueTask WaitForRoomAsync(CancellationToken cancellationToken)
    {
        while (!mayRead())
        {
            var wake = Volatile.Read(ref _wake).Task;
            if (mayRead()) return;
            try
            {
                await wake.WaitAsync(Recheck, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
            }
        }
    }

    private static TaskCompletionSource NewWake() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// The socket's stream with the gate in front of each socket read, and a read buffer: MQTTnet reads a packet
    /// in pieces (fixed header, length, body), each a system call on a bare socket; here one socket read takes what
    /// has arrived (up to <see cref="ReadBufferBytes"/>) and the pieces are served from memory. The buffer adds at
    /// most its size to what can arrive past the gate; the source holds those messages off too.
    /// </summary>
    private sealed class GatedStream(NetworkStream inner, ReadGate gate) : Stream
    {
        private readonly byte[] _buffer = new byte[ReadBufferBytes];
        private int _start, _end;

        public override bool CanRead => true;

        public override bool CanWrite => true;

        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_start < _end) return ValueTask.FromResult(TakeBuffered(buffer.Span));
            return FillAndReadAsync(buffer, cancellationToken);
        }

        private async ValueTask<int> FillAndReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
        {
            if (buffer.Length == 0) return 0;
            await gate.WaitForRoomAsync(cancellationToken).ConfigureAwait(false);
            if (buffer.Length >= _buffer.Length) return await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            int read = await inner.ReadAsync(_buffer, cancellationToken).ConfigureAwait(false);
            if (read == 0) return 0;
            _start = 0;
            _end = read;
            return TakeBuffered(buffer.Span);
        }

        private int TakeBuffered(Span<byte> destination)
        {
            int count = Math.Min(destination.Length, _end - _start);
            _buffer.AsSpan(_start, count).CopyTo(destination);
            _start += count;
            return count;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => inner.WriteAsync(buffer, cancellationToken);

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.WriteAsync(buffer, offset, count, cancellationToken);

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
