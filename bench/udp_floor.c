/* sipgw - the raw UDP floor on this box (issue 14's benchmark): what a
 * packet costs the kernel with nothing of ours around it, to set sipgw's
 * CPU per frame against. K socket pairs on 127.0.0.1, one datagram of an
 * RTP packet's size (172 bytes: 12 header + 160 G.711) each way per round,
 * the way sipgw moves them (a socket per call: sendto, then epoll_wait
 * and one recvmmsg per readable socket), against the naive way (recv
 * until EAGAIN, as sipgw did before) and the batched floor (one socket,
 * sendmmsg / recvmmsg of K at once). Prints CPU microseconds per packet
 * (sent and received); figures only, never pass/fail.
 * SPDX-License-Identifier: GPL-2.0-only */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define PKT 172
#define MAXK 1024

static double cpu_us(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

static int udp_bound(struct sockaddr_in *sa)
{
	socklen_t sl = sizeof(*sa);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)sa, sizeof(*sa)) || getsockname(fd, (struct sockaddr *)sa, &sl)) {
		perror("udp socket");
		exit(1);
	}
	return fd;
}

enum way { NAIVE, EPOLL_MMSG, BATCHED };

static double run(enum way w, int k, int rounds)
{
	static int tx[MAXK], rx[MAXK];
	static struct sockaddr_in to[MAXK];
	uint8_t pkt[PKT] = { 0x80 }, buf[4][PKT + 64];
	struct epoll_event ev[256];
	double t0;
	long moved = 0;
	int ep = epoll_create1(0);

	for (int i = 0; i < k; i++) {
		struct sockaddr_in a;

		tx[i] = udp_bound(&a);
		rx[i] = udp_bound(&to[i]);
		if (w == EPOLL_MMSG || w == NAIVE) {
			struct epoll_event e = { .events = EPOLLIN, .data.u32 = (uint32_t)i };
			epoll_ctl(ep, EPOLL_CTL_ADD, rx[i], &e);
		}
		if (w == BATCHED)
			break;		/* one pair carries them all */
	}
	t0 = cpu_us();
	for (int r = 0; r < rounds; r++) {
		if (w == BATCHED) {
			struct mmsghdr mm[MAXK];
			struct iovec iov[MAXK];
			static uint8_t rb[MAXK][PKT + 64];
			int got = 0;

			memset(mm, 0, sizeof(mm[0]) * (size_t)k);
			for (int i = 0; i < k; i++) {
				iov[i] = (struct iovec){ pkt, PKT };
				mm[i].msg_hdr = (struct msghdr){ .msg_name = &to[0], .msg_namelen = sizeof(to[0]),
								 .msg_iov = &iov[i], .msg_iovlen = 1 };
			}
			if (sendmmsg(tx[0], mm, (unsigned)k, 0) != k)
				perror("sendmmsg");
			while (got < k) {
				int n;

				memset(mm, 0, sizeof(mm[0]) * (size_t)k);
				for (int i = 0; i < k; i++) {
					iov[i] = (struct iovec){ rb[i], sizeof(rb[i]) };
					mm[i].msg_hdr = (struct msghdr){ .msg_iov = &iov[i], .msg_iovlen = 1 };
				}
				n = recvmmsg(rx[0], mm, (unsigned)(k - got), MSG_DONTWAIT, NULL);
				if (n > 0)
					got += n;
			}
			moved += k;
			continue;
		}
		for (int i = 0; i < k; i++)
			if (sendto(tx[i], pkt, PKT, 0, (struct sockaddr *)&to[i], sizeof(to[i])) != PKT)
				perror("sendto");
		for (int left = k; left > 0;) {
			int n = epoll_wait(ep, ev, 256, 1000);

			for (int j = 0; j < n; j++) {
				int fd = rx[ev[j].data.u32];

				if (w == NAIVE) {
					while (recv(fd, buf[0], sizeof(buf[0]), 0) > 0)
						left--, moved++;
				} else {
					struct mmsghdr mm[4];
					struct iovec iov[4];
					int got;

					memset(mm, 0, sizeof(mm));
					for (int q = 0; q < 4; q++) {
						iov[q] = (struct iovec){ buf[q], sizeof(buf[q]) };
						mm[q].msg_hdr = (struct msghdr){ .msg_iov = &iov[q], .msg_iovlen = 1 };
					}
					got = recvmmsg(fd, mm, 4, MSG_DONTWAIT, NULL);
					if (got > 0)
						left -= got, moved += got;
				}
			}
		}
	}
	t0 = cpu_us() - t0;
	for (int i = 0; i < k; i++) {
		close(tx[i]);
		close(rx[i]);
		if (w == BATCHED)
			break;
	}
	close(ep);
	return t0 / (double)moved;
}

int main(int argc, char **argv)
{
	int k = argc > 1 ? atoi(argv[1]) : 240;
	int rounds = argc > 2 ? atoi(argv[2]) : 500;
	struct rlimit rl = { 4096, 4096 };

	if (k < 1 || k > MAXK)
		k = 240;
	setrlimit(RLIMIT_NOFILE, &rl);
	printf("raw UDP floor on 127.0.0.1, %d sockets, %d rounds of one %d-byte datagram each (CPU per packet sent and received):\n",
	       k, rounds, PKT);
	printf("  a socket each, sendto + epoll_wait + recv until EAGAIN (sipgw before)  %.2f us/packet\n",
	       run(NAIVE, k, rounds));
	printf("  a socket each, sendto + epoll_wait + one recvmmsg (sipgw's RTP now)    %.2f us/packet\n",
	       run(EPOLL_MMSG, k, rounds));
	printf("  one socket, sendmmsg + recvmmsg of %d (the batched floor)              %.2f us/packet\n",
	       k, run(BATCHED, k, rounds));
	return 0;
}
