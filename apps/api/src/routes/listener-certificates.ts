import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { Services } from "@scaleout/services";
import { Type } from "@sinclair/typebox";
import { errors, IdParams, PageOf, PageQuery } from "../schemas/common.ts";
import { ListenerCertificate, ListenerCertificatesBody } from "../schemas/elb.ts";

const tags = ["Listeners"];

/** A listener's certificate list (the default certificate and the SNI ones), under the listener. */
export const listenerCertificateRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  const certificates = services.listenerCertificates;

  app.get(
    "/listeners/:id/certificates",
    {
      schema: {
        tags,
        summary: "DescribeListenerCertificates (the default certificate first, isDefault true)",
        params: IdParams,
        querystring: PageQuery,
        response: { 200: PageOf("certificates", ListenerCertificate), ...errors(400, 404) },
      },
    },
    async (request) => {
      const page = certificates.list(request.params.id, request.query);
      return { certificates: page.items, ...(page.nextToken && { nextToken: page.nextToken }) };
    },
  );

  app.post(
    "/listeners/:id/certificates",
    {
      schema: {
        tags,
        summary: "AddListenerCertificates (SNI certificates of an HTTPS listener)",
        params: IdParams,
        body: ListenerCertificatesBody,
        response: {
          200: Type.Object({ certificates: Type.Array(ListenerCertificate) }),
          ...errors(400, 404, 409),
        },
      },
    },
    async (request) => ({ certificates: certificates.add(request.params.id, request.body.certificates) }),
  );

  app.delete(
    "/listeners/:id/certificates/:certificateArn",
    {
      schema: {
        tags,
        summary: "RemoveListenerCertificates (one certificate, its ARN URL-encoded; not the default one)",
        params: Type.Object({
          id: IdParams.properties.id,
          certificateArn: Type.String({ minLength: 1, maxLength: 2048 }),
        }),
        response: { 204: Type.Null(), ...errors(400, 404, 409) },
      },
    },
    async (request, reply) => {
      certificates.remove(request.params.id, [{ certificateArn: request.params.certificateArn }]);
      return reply.code(204).send(null);
    },
  );
};
