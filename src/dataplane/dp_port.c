/* SPDX-License-Identifier: BSD-3-Clause */
/* Ethernet port set-up: one rx and one tx queue per worker on every port. */
#include <stdio.h>
#include <string.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_ethdev.h>

#include "common/log.h"
#include "dataplane/dp_priv.h"

#define DP_RX_DESC 1024
#define DP_TX_DESC 1024

int
dp_port_setup(uint16_t port, unsigned nq, struct rte_mempool *pool, char *err, size_t errlen)
{
	struct rte_eth_conf conf = {0};
	struct rte_eth_dev_info info;
	uint16_t nrx = DP_RX_DESC, ntx = DP_TX_DESC;
	const struct rte_bus *bus;
	unsigned q;
	int rc;

	rc = rte_eth_dev_info_get(port, &info);
	if (rc < 0) {
		snprintf(err, errlen, "port %u: cannot get device info: %s", port, rte_strerror(-rc));
		return rc;
	}
	if (info.max_rx_queues < nq || info.max_tx_queues < nq) {
		snprintf(err, errlen,
			"port %u (%s) has %u rx/%u tx queues but sluice runs %u workers; give it "
			"at least %u queue pairs (af_packet: qpairs=%u) or use fewer lcores",
			port, info.driver_name, info.max_rx_queues, info.max_tx_queues, nq, nq, nq);
		return -EINVAL;
	}
	/* af_packet's queue pairs are sockets in one PACKET_FANOUT group: the kernel
	 * spreads flows over all of them, and a queue nobody polls loses its flows */
	if (strcmp(info.driver_name, "net_af_packet") == 0 && info.max_rx_queues > nq) {
		snprintf(err, errlen,
			"port %u (%s) has %u queue pairs but sluice runs %u worker(s): flows the "
			"kernel fans out to unpolled queues would be lost; use qpairs=%u (the "
			"recording lcore, with --recording-dir, is not a worker)",
			port, info.driver_name, info.max_rx_queues, nq, nq);
		return -EINVAL;
	}
	if (nq > 1 && info.flow_type_rss_offloads != 0) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf =
			info.flow_type_rss_offloads & (RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP);
	}
	rc = rte_eth_dev_configure(port, (uint16_t)nq, (uint16_t)nq, &conf);
	if (rc < 0) {
		snprintf(err, errlen, "port %u: configure failed: %s", port, rte_strerror(-rc));
		return rc;
	}
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(port, &nrx, &ntx);
	if (rc < 0) {
		snprintf(err, errlen, "port %u: descriptor counts: %s", port, rte_strerror(-rc));
		return rc;
	}
	for (q = 0; q < nq; q++) {
		rc = rte_eth_rx_queue_setup(port, (uint16_t)q, nrx, rte_eth_dev_socket_id(port), NULL,
			pool);
		if (rc < 0) {
			snprintf(err, errlen, "port %u: rx queue %u: %s", port, q, rte_strerror(-rc));
			return rc;
		}
		rc = rte_eth_tx_queue_setup(port, (uint16_t)q, ntx, rte_eth_dev_socket_id(port), NULL);
		if (rc < 0) {
			snprintf(err, errlen, "port %u: tx queue %u: %s", port, q, rte_strerror(-rc));
			return rc;
		}
	}
	rc = rte_eth_dev_start(port);
	if (rc < 0) {
		snprintf(err, errlen, "port %u: start failed: %s", port, rte_strerror(-rc));
		return rc;
	}
	/* IPv6 neighbour solicitations arrive on solicited-node multicast groups */
	rte_eth_allmulticast_enable(port);
	rte_eth_macaddr_get(port, &dp_conf.port_mac[port]);
	bus = rte_dev_bus(info.device);
	dp_conf.port_virtual[port] = bus != NULL && strcmp(rte_bus_name(bus), "vdev") == 0;
	SL_INFO("dp", "port %u: %s (%s), %u queue pair(s), MAC " RTE_ETHER_ADDR_PRT_FMT, port,
		rte_dev_name(info.device), info.driver_name, nq,
		RTE_ETHER_ADDR_BYTES(&dp_conf.port_mac[port]));
	return 0;
}

void
dp_port_close(uint16_t port)
{
	rte_eth_dev_stop(port);
	rte_eth_dev_close(port);
}
