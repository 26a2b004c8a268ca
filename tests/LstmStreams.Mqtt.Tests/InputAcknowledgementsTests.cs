using LstmStreams.Pipeline;
using MQTTnet;
using MQTTnet.Packets;

namespace LstmStreams.Mqtt.Tests;

/// <summary>The book of unacknowledged input messages: runs of positions, PUBACKs in arrival order.</summary>
public sealed class InputAcknowledgementsTests
{
    private readonly List<int> _acknowledged = new();

    private MqttApplicationMessageReceivedEventArgs Message(int id) =>
        new("test", new MqttApplicationMessage { Topic = "t" }, new MqttPublishPacket { PacketIdentifier = (ushort)id }, (_, _) =>
        {
            lock (_acknowledged) _acknowledged.Add(id);
            return Task.CompletedTask;
        });

    [Fact]
    public void A_message_of_many_observations_is_acknowledged_once_all_are_done_and_messages_in_arrival_order()
    {
        var book = new InputAcknowledgements(new MqttSettings { ReceiveMaximum = 10 });
        book.NewConnection(1);
        Assert.True(book.Track(1, 3, Message(1), 1)); // positions 1, 2, 3
        Assert.True(book.Track(4, 1, Message(2), 1)); // position 4
        Assert.True(book.Track(5, 2, Message(3), 1)); // positions 5, 6

        book.Complete(4); // the second message is done, the first is not: nothing goes out
        book.Complete([1L, 3]);
        Assert.Empty(_acknowledged);

        book.Fail(new ObservationError(2, "a", "bad element")); // the first's last one: both go, in order
        Assert.Equal([1, 2], _acknowledged);
        Assert.Equal(1, book.Unacknowledged);

        book.Complete([5L, 6]);
        Assert.Equal([1, 2, 3], _acknowledged);
        Assert.Equal((0, 3L), (book.Unacknowledged, book.Acknowledged));
    }

    [Fact]
    public void Positions_of_an_earlier_connection_acknowledge_nothing_on_a_later_one()
    {
        var book = new InputAcknowledgements(new MqttSettings { ReceiveMaximum = 10 });
        book.NewConnection(1);
        book.Track(1, 2, Message(1), 1);
        book.NewConnection(2); // the broker redelivers message 1 on the new session
        Assert.False(book.Track(3, 1, Message(9), 1)); // a late arrival of the old connection is not taken
        book.Track(4, 1, Message(2), 2);

        book.Complete([1L, 2]);
        book.Complete(4);

        Assert.Equal([2], _acknowledged);
        Assert.Equal(1, book.Abandoned);
    }
}
