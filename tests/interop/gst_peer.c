/* Interop checks, GStreamer side: builds and parses MIKEY messages with
 * GStreamer's gstmikey (gstreamer-sdp-1.0) and prints what GStreamer's
 * object model holds, as JSON in the field names of tests/interop/fields.hpp.
 *
 *   gst_peer build manual   a PSK I_MESSAGE made with gst_mikey_message_*
 *                           calls (fixed values)
 *   gst_peer build caps     the message gst_mikey_message_new_from_caps makes
 *                           for an SRTP key in caps (what rtspsrc / rtsp-server
 *                           send: TEK = key || salt, NULL KEMAC, random CSB ID,
 *                           RAND and time)
 *   gst_peer parse HEX      gst_mikey_message_new_from_data on HEX
 *
 * build prints {"hex": ..., "fields": ...}; parse prints {"fields": ...,
 * "reserialized": hex of gst_mikey_message_to_bytes of the parsed message}
 * or {"error": ...}. GStreamer's parser never returns on payload types it
 * does not handle: callers run this under a time limit.
 */
#include <gst/gst.h>
#include <gst/sdp/gstmikey.h>
#include <stdio.h>
#include <string.h>

static void print_hex(const guint8 *d, gsize n) {
  putchar('"');
  for (gsize i = 0; i < n; i++) printf("%02x", d[i]);
  putchar('"');
}

static int ts_len(GstMIKEYTSType t) {
  switch (t) {
    case GST_MIKEY_TS_TYPE_NTP_UTC:
    case GST_MIKEY_TS_TYPE_NTP: return 8;
    case GST_MIKEY_TS_TYPE_COUNTER: return 4;
    default: return 0;
  }
}

static void print_key_data(const GstMIKEYPayloadKeyData *k) {
  /* GStreamer keeps TGK/TEK in key_type and the +SALT bit as salt_len > 0
   * (it writes Type = key_type | (salt_len ? 1 : 0)). */
  printf("{\"type\": %d, \"key_type\": %d, \"key_len\": %u, \"key\": ", (int) k->pt.type,
         (int) k->key_type | (k->salt_len ? 1 : 0), (unsigned) k->key_len);
  print_hex(k->key_data, k->key_len);
  if (k->salt_len) {
    printf(", \"salt_len\": %u, \"salt\": ", (unsigned) k->salt_len);
    print_hex(k->salt_data, k->salt_len);
  }
  printf(", \"kv\": %d", (int) k->kv_type);
  if (k->kv_type == GST_MIKEY_KV_SPI) {
    printf(", \"spi_len\": %u, \"spi\": ", (unsigned) k->kv_len[0]);
    print_hex(k->kv_data[0], k->kv_len[0]);
  } else if (k->kv_type == GST_MIKEY_KV_INTERVAL) {
    printf(", \"vf_len\": %u, \"vf\": ", (unsigned) k->kv_len[0]);
    print_hex(k->kv_data[0], k->kv_len[0]);
    printf(", \"vt_len\": %u, \"vt\": ", (unsigned) k->kv_len[1]);
    print_hex(k->kv_data[1], k->kv_len[1]);
  }
  putchar('}');
}

static void print_payload(const GstMIKEYPayload *p) {
  printf("{\"type\": %d", (int) p->type);
  switch (p->type) {
    case GST_MIKEY_PT_T: {
      const GstMIKEYPayloadT *t = (const GstMIKEYPayloadT *) p;
      printf(", \"ts_type\": %d, \"ts_value\": ", (int) t->type);
      print_hex(t->ts_value, ts_len(t->type));
      break;
    }
    case GST_MIKEY_PT_RAND: {
      const GstMIKEYPayloadRAND *r = (const GstMIKEYPayloadRAND *) p;
      printf(", \"rand_len\": %u, \"rand\": ", (unsigned) r->len);
      print_hex(r->rand, r->len);
      break;
    }
    case GST_MIKEY_PT_PKE: {
      const GstMIKEYPayloadPKE *k = (const GstMIKEYPayloadPKE *) p;
      printf(", \"c\": %d, \"data_len\": %u, \"data\": ", (int) k->C, (unsigned) k->data_len);
      print_hex(k->data, k->data_len);
      break;
    }
    case GST_MIKEY_PT_SP: {
      guint n = gst_mikey_payload_sp_get_n_params(p);
      const GstMIKEYPayloadSP *s = (const GstMIKEYPayloadSP *) p;
      guint plen = 0;
      printf(", \"policy_no\": %u, \"prot_type\": %d, \"params\": [", s->policy, (int) s->proto);
      for (guint i = 0; i < n; i++) {
        const GstMIKEYPayloadSPParam *param = gst_mikey_payload_sp_get_param(p, i);
        printf("%s{\"type\": %u, \"len\": %u, \"value\": ", i ? ", " : "", (unsigned) param->type,
               (unsigned) param->len);
        print_hex(param->val, param->len);
        putchar('}');
        plen += 2u + param->len;
      }
      printf("], \"param_len\": %u", plen);
      break;
    }
    case GST_MIKEY_PT_KEMAC: {
      const GstMIKEYPayloadKEMAC *k = (const GstMIKEYPayloadKEMAC *) p;
      guint n = gst_mikey_payload_kemac_get_n_sub(p);
      printf(", \"encr_alg\": %d, \"mac_alg\": %d, \"key_data\": [", (int) k->enc_alg, (int) k->mac_alg);
      for (guint i = 0; i < n; i++) {
        const GstMIKEYPayload *sub = gst_mikey_payload_kemac_get_sub(p, i);
        if (i) printf(", ");
        if (sub->type == GST_MIKEY_PT_KEY_DATA)
          print_key_data((const GstMIKEYPayloadKeyData *) sub);
        else
          printf("{\"type\": %d}", (int) sub->type);
      }
      putchar(']');
      break;
    }
    default: break;
  }
  putchar('}');
}

static void print_fields(const GstMIKEYMessage *m) {
  guint n_cs = gst_mikey_message_get_n_cs(m);
  guint n = gst_mikey_message_get_n_payloads(m);
  printf("{\"hdr\": {\"version\": %u, \"data_type\": %d, \"v\": %d, \"prf_func\": %d, \"csb_id\": %u, "
         "\"cs_count\": %u, \"cs_id_map_type\": %d, \"srtp_id\": [",
         (unsigned) m->version, (int) m->type, m->V ? 1 : 0, (int) m->prf_func, (unsigned) m->CSB_id, n_cs,
         (int) m->map_type);
  for (guint i = 0; i < n_cs; i++) {
    const GstMIKEYMapSRTP *s = gst_mikey_message_get_cs_srtp(m, i);
    printf("%s{\"policy_no\": %u, \"ssrc\": %u, \"roc\": %u}", i ? ", " : "", (unsigned) s->policy,
           (unsigned) s->ssrc, (unsigned) s->roc);
  }
  printf("]}, \"payloads\": [");
  for (guint i = 0; i < n; i++) {
    if (i) printf(", ");
    print_payload(gst_mikey_message_get_payload(m, i));
  }
  printf("]}");
}

static void print_built(GstMIKEYMessage *m) {
  GBytes *b = gst_mikey_message_to_bytes(m, NULL, NULL);
  gsize size = 0;
  const guint8 *d = g_bytes_get_data(b, &size);
  printf("{\"hex\": ");
  print_hex(d, size);
  printf(", \"fields\": ");
  print_fields(m);
  printf("}\n");
  g_bytes_unref(b);
}

static GstMIKEYMessage *build_manual(void) {
  static const guint8 ntp[8] = {0xeb, 0xf9, 0x9d, 0x4c, 0xb0, 0x5e, 0xa2, 0x4c};
  guint8 rand[16], tgk[16], salt[14], tek[30], spi[2] = {0x00, 0x2a};
  guint8 from[6] = {0, 0, 0, 0, 0, 1}, to[6] = {0, 0, 0, 1, 0, 0};
  guint8 one = 1, sixteen = 16, fourteen = 14, ten = 10, twenty = 20;
  GstMIKEYMapSRTP cs1 = {0, 0x01020304u, 0}, cs2 = {1, 0xa0b0c0d0u, 3};
  GstMIKEYMessage *m = gst_mikey_message_new();
  GstMIKEYPayload *sp, *kemac, *kd;
  for (int i = 0; i < 16; i++) rand[i] = (guint8) (0x60 + i), tgk[i] = (guint8) (0x30 + i);
  for (int i = 0; i < 14; i++) salt[i] = (guint8) (0x40 + i);
  for (int i = 0; i < 30; i++) tek[i] = (guint8) (0x80 + i);

  gst_mikey_message_set_info(m, GST_MIKEY_VERSION, GST_MIKEY_TYPE_PSK_INIT, TRUE, GST_MIKEY_PRF_MIKEY_1,
                             0x0badf00du, GST_MIKEY_MAP_TYPE_SRTP);
  gst_mikey_message_insert_cs_srtp(m, -1, &cs1);
  gst_mikey_message_insert_cs_srtp(m, -1, &cs2);
  gst_mikey_message_add_t(m, GST_MIKEY_TS_TYPE_NTP_UTC, ntp);
  gst_mikey_message_add_rand(m, sizeof rand, rand);

  sp = gst_mikey_payload_new(GST_MIKEY_PT_SP);
  gst_mikey_payload_sp_set(sp, 0, GST_MIKEY_SEC_PROTO_SRTP);
  gst_mikey_payload_sp_add_param(sp, GST_MIKEY_SP_SRTP_ENC_ALG, 1, &one);
  gst_mikey_payload_sp_add_param(sp, GST_MIKEY_SP_SRTP_ENC_KEY_LEN, 1, &sixteen);
  gst_mikey_payload_sp_add_param(sp, GST_MIKEY_SP_SRTP_AUTH_ALG, 1, &one);
  gst_mikey_payload_sp_add_param(sp, GST_MIKEY_SP_SRTP_AUTH_KEY_LEN, 1, &twenty);
  gst_mikey_payload_sp_add_param(sp, GST_MIKEY_SP_SRTP_SALT_KEY_LEN, 1, &fourteen);
  gst_mikey_payload_sp_add_param(sp, GST_MIKEY_SP_SRTP_AUTH_TAG_LEN, 1, &ten);
  gst_mikey_message_add_payload(m, sp);

  kemac = gst_mikey_payload_new(GST_MIKEY_PT_KEMAC);
  gst_mikey_payload_kemac_set(kemac, GST_MIKEY_ENC_NULL, GST_MIKEY_MAC_NULL);
  /* TGK + salt (written as Type TGK+SALT), KV SPI */
  kd = gst_mikey_payload_new(GST_MIKEY_PT_KEY_DATA);
  gst_mikey_payload_key_data_set_key(kd, GST_MIKEY_KD_TGK, sizeof tgk, tgk);
  gst_mikey_payload_key_data_set_salt(kd, sizeof salt, salt);
  gst_mikey_payload_key_data_set_spi(kd, sizeof spi, spi);
  gst_mikey_payload_kemac_add_sub(kemac, kd);
  /* TEK holding key || salt, KV interval */
  kd = gst_mikey_payload_new(GST_MIKEY_PT_KEY_DATA);
  gst_mikey_payload_key_data_set_key(kd, GST_MIKEY_KD_TEK, sizeof tek, tek);
  gst_mikey_payload_key_data_set_interval(kd, sizeof from, from, sizeof to, to);
  gst_mikey_payload_kemac_add_sub(kemac, kd);
  gst_mikey_message_add_payload(m, kemac);
  return m;
}

static GstMIKEYMessage *build_caps(void) {
  guint8 key[30];
  GstBuffer *buf;
  GstCaps *caps;
  GstMIKEYMessage *m;
  for (int i = 0; i < 30; i++) key[i] = (guint8) (0xc0 + i);
  buf = gst_buffer_new_memdup(key, sizeof key);
  caps = gst_caps_new_simple("application/x-srtp", "srtp-key", GST_TYPE_BUFFER, buf, "srtp-cipher", G_TYPE_STRING,
                             "aes-128-icm", "srtp-auth", G_TYPE_STRING, "hmac-sha1-80", "srtcp-cipher",
                             G_TYPE_STRING, "aes-128-icm", "srtcp-auth", G_TYPE_STRING, "hmac-sha1-80", NULL);
  m = gst_mikey_message_new_from_caps(caps);
  gst_caps_unref(caps);
  gst_buffer_unref(buf);
  return m;
}

int main(int argc, char **argv) {
  gst_init(NULL, NULL);
  if (argc == 3 && strcmp(argv[1], "build") == 0) {
    GstMIKEYMessage *m = NULL;
    if (strcmp(argv[2], "manual") == 0)
      m = build_manual();
    else if (strcmp(argv[2], "caps") == 0)
      m = build_caps();
    if (!m) {
      fprintf(stderr, "gst_peer: no message for '%s'\n", argv[2]);
      return 1;
    }
    print_built(m);
    gst_mikey_message_unref(m);
    return 0;
  }
  if (argc == 3 && strcmp(argv[1], "parse") == 0) {
    gsize len = strlen(argv[2]) / 2;
    guint8 *data = g_malloc(len ? len : 1);
    GstMIKEYMessage *m;
    for (gsize i = 0; i < len; i++) {
      unsigned x;
      if (sscanf(argv[2] + 2 * i, "%2x", &x) != 1) {
        fprintf(stderr, "gst_peer: bad hex\n");
        g_free(data);
        return 2;
      }
      data[i] = (guint8) x;
    }
    m = gst_mikey_message_new_from_data(data, len, NULL, NULL);
    if (!m) {
      printf("{\"error\": \"gst_mikey_message_new_from_data failed\"}\n");
    } else {
      GBytes *b = gst_mikey_message_to_bytes(m, NULL, NULL);
      gsize size = 0;
      const guint8 *d = g_bytes_get_data(b, &size);
      printf("{\"fields\": ");
      print_fields(m);
      printf(", \"reserialized\": ");
      print_hex(d, size);
      printf("}\n");
      g_bytes_unref(b);
      gst_mikey_message_unref(m);
    }
    g_free(data);
    return 0;
  }
  fprintf(stderr, "usage: gst_peer build manual|caps | parse HEX\n");
  return 2;
}
