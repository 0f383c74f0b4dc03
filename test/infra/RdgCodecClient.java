// A real Java Kafka client for the compression tests (test/infra/java-client.ts compiles it
// against the broker's own classpath). Values travel as base64 lines ("-" for empty), so any bytes work.
//
//   produce <bootstrap> <values-file> <codec>=<topic> ...   one producer per codec, values batched
//   consume <bootstrap> <count> <topic> ...                  prints "<topic>\t<base64>" per record
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public class RdgCodecClient {
  public static void main(String[] args) throws Exception {
    if (args[0].equals("produce")) produce(args);
    else if (args[0].equals("consume")) consume(args);
    else throw new IllegalArgumentException("produce or consume, got " + args[0]);
  }

  static void produce(String[] args) throws Exception {
    List<byte[]> values = new ArrayList<>();
    for (String line : Files.readAllLines(Paths.get(args[2]), StandardCharsets.US_ASCII)) {
      // "-" is an empty value ("" would be an empty line); base64 never holds a '-'
      if (!line.isEmpty()) values.add(line.equals("-") ? new byte[0] : Base64.getDecoder().decode(line));
    }
    for (int i = 3; i < args.length; i++) {
      String[] pair = args[i].split("=", 2);
      Properties p = new Properties();
      p.put("bootstrap.servers", args[1]);
      p.put("compression.type", pair[0]);
      p.put("acks", "all");
      // Large, lingering batches so each holds many records, compressed together.
      p.put("linger.ms", "200");
      p.put("batch.size", "262144");
      try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
        for (byte[] v : values) producer.send(new ProducerRecord<>(pair[1], 0, null, v));
        producer.flush();
      }
    }
    System.out.println("produced " + values.size());
  }

  static void consume(String[] args) throws Exception {
    int count = Integer.parseInt(args[2]);
    Properties p = new Properties();
    p.put("bootstrap.servers", args[1]);
    p.put("enable.auto.commit", "false");
    p.put("max.poll.records", "5000");
    StringBuilder out = new StringBuilder();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      for (int i = 3; i < args.length; i++) {
        List<TopicPartition> parts = new ArrayList<>();
        for (PartitionInfo info : consumer.partitionsFor(args[i])) parts.add(new TopicPartition(args[i], info.partition()));
        consumer.assign(parts);
        consumer.seekToBeginning(parts);
        int seen = 0;
        long deadline = System.currentTimeMillis() + 30_000;
        while (seen < count && System.currentTimeMillis() < deadline) {
          for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
            out.append(r.topic()).append('\t').append(Base64.getEncoder().encodeToString(r.value())).append('\n');
            seen++;
          }
        }
      }
    }
    System.out.print(out);
  }
}
