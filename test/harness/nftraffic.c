// SPDX-License-Identifier: Apache-2.0
/*
 * nftraffic - a paced UDP traffic source and a counting sink for nfctl's
 * kernel tests and benchmarks (scripts/traffic-harness.ts drives it).
 *
 *   nftraffic send --to ADDR --port N --allowed-from ADDR --blocked-from ADDR
 *                  --rate PPS [--duration-ms N] [--blocked-ratio F]
 *                  [--payload BYTES] [--run-id HEX]
 *   nftraffic sink --bind ADDR --port N [--rcvbuf BYTES] [--run-id HEX]
 *
 * send: two UDP sockets, one bound to each source address, both connected to
 * --to:--port. Packets of the two classes (allowed, blocked) are interleaved
 * in the given ratio (--blocked-ratio, default 0.5) and paced to --rate
 * packets per second in total, in sendmmsg batches, until --duration-ms has
 * passed or SIGTERM/SIGINT arrives. Every payload carries a magic, the class,
 * a per-class sequence number (from 0, no gaps) and a run id. IP_RECVERR is
 * set, so that a packet the local stack could not hand to the device
 * (ENOBUFS) is reported and sent again instead of being counted as sent and
 * lost silently; such retries are counted ("txRetries"). It prints
 * "nftraffic: send ready" on stderr once its sockets are set up, and one JSON
 * line on stdout when it ends:
 *
 *   {"mode":"send","runId":"..","sent":{"allowed":A,"blocked":B},"pps":P,
 *    "targetPps":R,"durationMs":D,"txRetries":T}
 *
 * pps is the rate achieved: packets sent over the time from the first send
 * to the end of the last one (durationMs).
 *
 * sink: one UDP socket bound to --bind:--port with a large receive buffer
 * (SO_RCVBUFFORCE, default 256 MiB) and SO_RXQ_OVFL (the kernel's count of
 * packets the socket had to drop). It receives with recvmmsg until
 * SIGTERM/SIGINT, then drains what is queued, and prints one JSON line:
 *
 *   {"mode":"sink","runId":"..","received":{"allowed":A,"blocked":B},
 *    "reordered":R,"duplicates":D,"highestSeq":{"allowed":H,"blocked":H},
 *    "foreign":F,"socketDrops":S}
 *
 * received counts distinct sequence numbers per class; a packet whose
 * sequence number was already seen counts as a duplicate instead. A packet
 * that arrives with a sequence number lower than the highest seen of its
 * class counts as reordered. Packets without the magic, of an unknown class
 * or of another run (--run-id; without it, the run of the first packet) are
 * "foreign". It prints
 * "nftraffic: sink ready" on stderr once it is bound.
 *
 * Exit status 0 on success, 1 on a system error (with a message on stderr),
 * 2 on bad arguments.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NFT_MAGIC 0x5254464eu /* "NFTR" in little-endian memory order */
#define NFT_VERSION 1
#define BATCH 64
#define MIN_PAYLOAD ((int)sizeof(struct nft_payload))
#define MAX_PAYLOAD 1400
/* The sender runs this far ahead of its schedule, so that the rate achieved
 * over any run is at least the rate asked for. */
#define LEAD_NS 1000000LL
/* Duplicate detection covers sequence numbers below this (per class). */
#define MAX_TRACKED_SEQ (1ULL << 31)

enum { CLASS_ALLOWED = 0, CLASS_BLOCKED = 1, CLASSES = 2 };
static const char *const class_name[CLASSES] = { "allowed", "blocked" };

struct nft_payload {
	uint32_t magic;
	uint8_t version;
	uint8_t klass;
	uint16_t reserved;
	uint64_t seq;
	uint64_t run_id;
} __attribute__((packed));

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: blocking calls return EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "nftraffic: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

static void usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "nftraffic: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr,
		"\nusage: nftraffic send --to ADDR --port N --allowed-from ADDR --blocked-from ADDR --rate PPS\n"
		"                      [--duration-ms N] [--blocked-ratio F] [--payload BYTES] [--run-id HEX]\n"
		"       nftraffic sink --bind ADDR --port N [--rcvbuf BYTES] [--run-id HEX]\n");
	exit(2);
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void sleep_until(int64_t deadline_ns)
{
	struct timespec ts = { .tv_sec = deadline_ns / 1000000000LL, .tv_nsec = deadline_ns % 1000000000LL };

	/* EINTR (a stop signal) simply ends the sleep early. */
	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

static struct sockaddr_in parse_addr(const char *opt, const char *addr, int port)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1)
		usage("%s: not an IPv4 address: %s", opt, addr);
	return sin;
}

static long long parse_int(const char *opt, const char *text, long long min, long long max)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(text, &end, 10);
	if (errno || *text == '\0' || *end != '\0' || v < min || v > max)
		usage("%s: expected an integer from %lld to %lld, got \"%s\"", opt, min, max, text);
	return v;
}

static uint64_t parse_run_id(const char *text)
{
	char *end;
	uint64_t v;

	errno = 0;
	v = strtoull(text, &end, 16);
	if (errno || *text == '\0' || *end != '\0')
		usage("--run-id: expected a hexadecimal number, got \"%s\"", text);
	return v;
}

static void set_int_opt(int fd, int level, int name, int value, const char *what)
{
	if (setsockopt(fd, level, name, &value, sizeof(value)) < 0)
		die("setsockopt(%s): %s", what, strerror(errno));
}

/* ------------------------------------------------------------------ send */

struct sender_class {
	int fd;
	uint64_t seq; /* next sequence number = packets of this class sent */
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	unsigned char buf[BATCH][MAX_PAYLOAD];
};

static uint64_t tx_retries;

/* Sends n packets of one class (n <= BATCH); returns when all are sent or a stop was requested. */
static void send_class(struct sender_class *c, int klass, int n, uint64_t run_id)
{
	int done = 0;

	for (int i = 0; i < n; i++) {
		struct nft_payload *p = (struct nft_payload *)c->buf[i];

		p->magic = NFT_MAGIC;
		p->version = NFT_VERSION;
		p->klass = (uint8_t)klass;
		p->reserved = 0;
		p->seq = c->seq + (uint64_t)i;
		p->run_id = run_id;
	}
	while (done < n) {
		int r = sendmmsg(c->fd, c->msgs + done, (unsigned int)(n - done), 0);

		if (r > 0) {
			done += r;
			continue;
		}
		if (r == 0 || errno == ENOBUFS || errno == EAGAIN || errno == ECONNREFUSED) {
			/* Not handed to the device: send the same packet again. An
			 * ECONNREFUSED reports an earlier ICMP error (no sink yet);
			 * the packet that returned it was not sent either. */
			tx_retries++;
			sched_yield();
			continue;
		}
		if (errno == EINTR) {
			if (stop_requested)
				break;
			continue;
		}
		die("sendmmsg from %s source: %s", class_name[klass], strerror(errno));
	}
	c->seq += (uint64_t)done;
}

static int open_sender_socket(struct sockaddr_in *src, struct sockaddr_in *dst, const char *what)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket: %s", strerror(errno));
	set_int_opt(fd, SOL_IP, IP_RECVERR, 1, "IP_RECVERR");
	set_int_opt(fd, SOL_SOCKET, SO_SNDBUFFORCE, 4 << 20, "SO_SNDBUFFORCE");
	if (bind(fd, (struct sockaddr *)src, sizeof(*src)) < 0)
		die("bind to %s source %s: %s", what, inet_ntoa(src->sin_addr), strerror(errno));
	if (connect(fd, (struct sockaddr *)dst, sizeof(*dst)) < 0)
		die("connect to %s:%d: %s", inet_ntoa(dst->sin_addr), ntohs(dst->sin_port), strerror(errno));
	return fd;
}

static int cmd_send(int argc, char **argv)
{
	const char *to = NULL, *allowed = NULL, *blocked = NULL;
	long long port = -1, rate = -1, duration_ms = 0, payload = 32;
	double ratio = 0.5;
	uint64_t run_id = 0;
	int have_run_id = 0;
	static struct sender_class cls[CLASSES];
	struct sockaddr_in dst, src_a, src_b;

	for (int i = 0; i < argc; i++) {
		const char *opt = argv[i];

		if (i + 1 >= argc)
			usage("%s needs a value", opt);
		const char *val = argv[++i];
		if (!strcmp(opt, "--to"))
			to = val;
		else if (!strcmp(opt, "--port"))
			port = parse_int(opt, val, 1, 65535);
		else if (!strcmp(opt, "--allowed-from"))
			allowed = val;
		else if (!strcmp(opt, "--blocked-from"))
			blocked = val;
		else if (!strcmp(opt, "--rate"))
			rate = parse_int(opt, val, 1, 100000000);
		else if (!strcmp(opt, "--duration-ms"))
			duration_ms = parse_int(opt, val, 0, 1LL << 40);
		else if (!strcmp(opt, "--payload"))
			payload = parse_int(opt, val, MIN_PAYLOAD, MAX_PAYLOAD);
		else if (!strcmp(opt, "--blocked-ratio")) {
			char *end;

			ratio = strtod(val, &end);
			if (*val == '\0' || *end != '\0' || !(ratio >= 0.0 && ratio <= 1.0))
				usage("--blocked-ratio: expected a number from 0 to 1, got \"%s\"", val);
		} else if (!strcmp(opt, "--run-id")) {
			run_id = parse_run_id(val);
			have_run_id = 1;
		} else
			usage("send: unknown option %s", opt);
	}
	if (!to || port < 0 || !allowed || !blocked || rate < 0)
		usage("send needs --to, --port, --allowed-from, --blocked-from and --rate");
	if (!have_run_id && getrandom(&run_id, sizeof(run_id), 0) != sizeof(run_id))
		run_id = (uint64_t)now_ns() ^ ((uint64_t)getpid() << 32);

	dst = parse_addr("--to", to, (int)port);
	src_a = parse_addr("--allowed-from", allowed, 0);
	src_b = parse_addr("--blocked-from", blocked, 0);
	install_signals();
	cls[CLASS_ALLOWED].fd = open_sender_socket(&src_a, &dst, "allowed");
	cls[CLASS_BLOCKED].fd = open_sender_socket(&src_b, &dst, "blocked");
	for (int k = 0; k < CLASSES; k++) {
		for (int i = 0; i < BATCH; i++) {
			cls[k].iov[i].iov_base = cls[k].buf[i];
			cls[k].iov[i].iov_len = (size_t)payload;
			memset(&cls[k].msgs[i], 0, sizeof(cls[k].msgs[i]));
			cls[k].msgs[i].msg_hdr.msg_iov = &cls[k].iov[i];
			cls[k].msgs[i].msg_hdr.msg_iovlen = 1;
		}
		memset(cls[k].buf, 0, sizeof(cls[k].buf));
	}
	fprintf(stderr, "nftraffic: send ready\n");
	fflush(stderr);

	const int64_t start = now_ns();
	const int64_t end = duration_ms > 0 ? start + duration_ms * 1000000LL : INT64_MAX;
	int64_t last = start;
	uint64_t total = 0;
	int flip = 0;

	while (!stop_requested) {
		int64_t now = now_ns();

		if (now >= end)
			break;
		/* Packets due by now (plus the lead), in total. */
		uint64_t due = (uint64_t)((double)(now - start + LEAD_NS) * (double)rate / 1e9);
		if (due <= total) {
			int64_t next = start - LEAD_NS + (int64_t)ceil((double)(total + 1) * 1e9 / (double)rate);

			/* Sleep at least 50 us, so that batches are not tiny. */
			if (next < now + 50000)
				next = now + 50000;
			if (next > end)
				next = end;
			sleep_until(next);
			continue;
		}
		int n = due - total > BATCH ? BATCH : (int)(due - total);
		long long nb = llround(ratio * (double)(total + (uint64_t)n)) - (long long)cls[CLASS_BLOCKED].seq;
		if (nb < 0)
			nb = 0;
		if (nb > n)
			nb = n;
		int na = n - (int)nb;

		/* Alternate which class goes first, so neither always trails. */
		flip ^= 1;
		for (int j = 0; j < 2; j++) {
			int k = (j ^ flip) ? CLASS_BLOCKED : CLASS_ALLOWED;
			int count = k == CLASS_BLOCKED ? (int)nb : na;

			if (count > 0)
				send_class(&cls[k], k, count, run_id);
		}
		total = cls[CLASS_ALLOWED].seq + cls[CLASS_BLOCKED].seq;
		last = now_ns();
	}

	double secs = (double)(last - start) / 1e9;
	printf("{\"mode\":\"send\",\"runId\":\"%016" PRIx64 "\",\"sent\":{\"allowed\":%" PRIu64 ",\"blocked\":%" PRIu64
	       "},\"pps\":%.0f,\"targetPps\":%lld,\"durationMs\":%.1f,\"txRetries\":%" PRIu64 "}\n",
	       run_id, cls[CLASS_ALLOWED].seq, cls[CLASS_BLOCKED].seq, secs > 0 ? (double)total / secs : 0.0, rate,
	       secs * 1e3, tx_retries);
	fflush(stdout);
	close(cls[CLASS_ALLOWED].fd);
	close(cls[CLASS_BLOCKED].fd);
	return 0;
}

/* ------------------------------------------------------------------ sink */

struct sink_class {
	uint64_t received;
	uint64_t reordered;
	uint64_t duplicates;
	int64_t highest; /* -1: none yet */
	uint8_t *seen;   /* bitmap of sequence numbers below seen_bits */
	uint64_t seen_bits;
};

static struct sink_class sinks[CLASSES];
static uint64_t foreign, socket_drops;

/* Marks seq seen; returns 1 when it had been seen before. */
static int mark_seen(struct sink_class *s, uint64_t seq)
{
	if (seq >= MAX_TRACKED_SEQ)
		return 0;
	if (seq >= s->seen_bits) {
		uint64_t bits = s->seen_bits ? s->seen_bits : (1 << 20);

		while (bits <= seq)
			bits *= 2;
		uint8_t *grown = realloc(s->seen, bits / 8);
		if (!grown)
			die("out of memory for %" PRIu64 " sequence numbers", bits);
		memset(grown + s->seen_bits / 8, 0, (bits - s->seen_bits) / 8);
		s->seen = grown;
		s->seen_bits = bits;
	}
	uint8_t bit = (uint8_t)(1u << (seq & 7));
	int dup = (s->seen[seq >> 3] & bit) != 0;
	s->seen[seq >> 3] |= bit;
	return dup;
}

/* The run counted: from --run-id, or else the first one seen. */
static uint64_t run_id;
static int have_run_id;

static void account(const unsigned char *data, size_t len)
{
	struct nft_payload p;

	if (len < sizeof(p)) {
		foreign++;
		return;
	}
	memcpy(&p, data, sizeof(p));
	if (p.magic != NFT_MAGIC || p.version != NFT_VERSION || p.klass >= CLASSES) {
		foreign++;
		return;
	}
	if (!have_run_id) {
		run_id = p.run_id;
		have_run_id = 1;
	}
	if (p.run_id != run_id) {
		foreign++;
		return;
	}
	struct sink_class *s = &sinks[p.klass];
	if (mark_seen(s, p.seq)) {
		s->duplicates++;
		return;
	}
	s->received++;
	if ((int64_t)p.seq < s->highest)
		s->reordered++;
	else
		s->highest = (int64_t)p.seq;
}

#define CMSG_SPACE_OVFL CMSG_SPACE(sizeof(uint32_t))

struct sink_batch {
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	unsigned char buf[BATCH][2048];
	unsigned char ctrl[BATCH][CMSG_SPACE_OVFL];
};

static int receive_batch(int fd, struct sink_batch *b, int flags)
{
	for (int i = 0; i < BATCH; i++) {
		b->msgs[i].msg_hdr.msg_control = b->ctrl[i];
		b->msgs[i].msg_hdr.msg_controllen = sizeof(b->ctrl[i]);
		b->msgs[i].msg_hdr.msg_flags = 0;
	}
	int r = recvmmsg(fd, b->msgs, BATCH, flags, NULL);
	if (r < 0)
		return r;
	for (int i = 0; i < r; i++) {
		struct msghdr *h = &b->msgs[i].msg_hdr;

		account(b->buf[i], b->msgs[i].msg_len);
		for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c)) {
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
				uint32_t drops;

				memcpy(&drops, CMSG_DATA(c), sizeof(drops));
				if (drops > socket_drops)
					socket_drops = drops;
			}
		}
	}
	return r;
}

static void print_highest(const char *name, int64_t v, const char *sep)
{
	if (v < 0)
		printf("\"%s\":null%s", name, sep);
	else
		printf("\"%s\":%" PRId64 "%s", name, v, sep);
}

static int cmd_sink(int argc, char **argv)
{
	const char *bind_addr = NULL;
	long long port = -1, rcvbuf = 256LL << 20;
	static struct sink_batch batch;
	struct sockaddr_in sin;

	for (int i = 0; i < argc; i++) {
		const char *opt = argv[i];

		if (i + 1 >= argc)
			usage("%s needs a value", opt);
		const char *val = argv[++i];
		if (!strcmp(opt, "--bind"))
			bind_addr = val;
		else if (!strcmp(opt, "--port"))
			port = parse_int(opt, val, 1, 65535);
		else if (!strcmp(opt, "--rcvbuf"))
			rcvbuf = parse_int(opt, val, 4096, 1LL << 30);
		else if (!strcmp(opt, "--run-id")) {
			run_id = parse_run_id(val);
			have_run_id = 1;
		} else
			usage("sink: unknown option %s", opt);
	}
	if (!bind_addr || port < 0)
		usage("sink needs --bind and --port");
	sin = parse_addr("--bind", bind_addr, (int)port);
	for (int k = 0; k < CLASSES; k++)
		sinks[k].highest = -1;
	for (int i = 0; i < BATCH; i++) {
		batch.iov[i].iov_base = batch.buf[i];
		batch.iov[i].iov_len = sizeof(batch.buf[i]);
		batch.msgs[i].msg_hdr.msg_iov = &batch.iov[i];
		batch.msgs[i].msg_hdr.msg_iovlen = 1;
	}

	install_signals();
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	/* The kernel doubles the value (bookkeeping overhead); half of it is
	 * what we ask for. Requires CAP_NET_ADMIN, which bypasses rmem_max. */
	set_int_opt(fd, SOL_SOCKET, SO_RCVBUFFORCE, (int)(rcvbuf / 2), "SO_RCVBUFFORCE");
	set_int_opt(fd, SOL_SOCKET, SO_RXQ_OVFL, 1, "SO_RXQ_OVFL");
	{
		/* Wake up now and then even without traffic (signals also do). */
		struct timeval tv = { .tv_sec = 0, .tv_usec = 200000 };

		if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
			die("setsockopt(SO_RCVTIMEO): %s", strerror(errno));
	}
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		die("bind to %s:%lld: %s", bind_addr, port, strerror(errno));
	fprintf(stderr, "nftraffic: sink ready\n");
	fflush(stderr);

	while (!stop_requested) {
		if (receive_batch(fd, &batch, MSG_WAITFORONE) < 0 && errno != EINTR && errno != EAGAIN &&
		    errno != EWOULDBLOCK)
			die("recvmmsg: %s", strerror(errno));
	}
	/* Drain what is queued. */
	for (;;) {
		int r = receive_batch(fd, &batch, MSG_DONTWAIT);

		if (r > 0 || (r < 0 && errno == EINTR))
			continue;
		if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			die("recvmmsg: %s", strerror(errno));
		break;
	}
	close(fd);

	printf("{\"mode\":\"sink\",\"runId\":\"%016" PRIx64 "\",\"received\":{\"allowed\":%" PRIu64
	       ",\"blocked\":%" PRIu64 "},\"reordered\":%" PRIu64 ",\"duplicates\":%" PRIu64 ",\"highestSeq\":{",
	       run_id, sinks[CLASS_ALLOWED].received, sinks[CLASS_BLOCKED].received,
	       sinks[CLASS_ALLOWED].reordered + sinks[CLASS_BLOCKED].reordered,
	       sinks[CLASS_ALLOWED].duplicates + sinks[CLASS_BLOCKED].duplicates);
	print_highest("allowed", sinks[CLASS_ALLOWED].highest, ",");
	print_highest("blocked", sinks[CLASS_BLOCKED].highest, "");
	printf("},\"foreign\":%" PRIu64 ",\"socketDrops\":%" PRIu64 "}\n", foreign, socket_drops);
	fflush(stdout);
	for (int k = 0; k < CLASSES; k++)
		free(sinks[k].seen);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage("missing mode");
	if (!strcmp(argv[1], "send"))
		return cmd_send(argc - 2, argv + 2);
	if (!strcmp(argv[1], "sink"))
		return cmd_sink(argc - 2, argv + 2);
	usage("unknown mode \"%s\"", argv[1]);
	return 2;
}
