import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { Services } from "@scaleout/services";
import { Type } from "@sinclair/typebox";
import {
  CertificateArn,
  CertificateDetail,
  CertificateIdParams,
  CertificatePem,
  CertificateSummary,
  ImportCertificate,
  ListCertificatesQuery,
  ReimportCertificate,
  RequestCertificate,
  TagKeysQuery,
  TagsBody,
  TagsResponse,
} from "../schemas/certificates.ts";
import { errors, PageOf } from "../schemas/common.ts";

const tags = ["Certificates"];

/**
 * AWS Certificate Manager's certificates (`/v1/certificates`) and the local CA's certificate
 * (`/v1/certificate-authority.pem`). Private keys go in and never come out.
 */
export const certificateRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  const certificates = services.certificates;

  app.post(
    "/certificates",
    {
      schema: {
        tags,
        summary: "ImportCertificate (PEM certificate, private key and chain)",
        body: ImportCertificate,
        response: { 201: CertificateArn, ...errors(400) },
      },
    },
    async (request, reply) => reply.code(201).send(certificates.import(request.body)),
  );

  app.post(
    "/certificates/request",
    {
      schema: {
        tags,
        summary: "RequestCertificate (issued at once by scaleout's local CA)",
        body: RequestCertificate,
        response: { 201: CertificateArn, ...errors(400) },
      },
    },
    async (request, reply) => reply.code(201).send(await certificates.request(request.body)),
  );

  app.get(
    "/certificates",
    {
      schema: {
        tags,
        summary: "ListCertificates (every key type unless keyType is given)",
        querystring: ListCertificatesQuery,
        response: { 200: PageOf("certificateSummaryList", CertificateSummary), ...errors(400) },
      },
    },
    async (request) => {
      const { pageSize, nextToken, status, keyType, sortOrder } = request.query;
      const page = certificates.list({
        ...(pageSize !== undefined && { maxItems: pageSize }),
        ...(nextToken !== undefined && { nextToken }),
        ...(status !== undefined && { certificateStatuses: status }),
        ...(keyType !== undefined && { keyTypes: keyType }),
        ...(sortOrder !== undefined && { sortOrder }),
      });
      return { certificateSummaryList: page.items, ...(page.nextToken && { nextToken: page.nextToken }) };
    },
  );

  app.get(
    "/certificates/:id",
    {
      schema: {
        tags,
        summary: "DescribeCertificate",
        params: CertificateIdParams,
        response: { 200: CertificateDetail, ...errors(400, 404) },
      },
    },
    async (request) => certificates.describe(certificates.arnOf(request.params.id)),
  );

  app.put(
    "/certificates/:id",
    {
      schema: {
        tags,
        summary: "ImportCertificate with CertificateArn: rotates an imported certificate's material in place",
        params: CertificateIdParams,
        body: ReimportCertificate,
        response: { 200: CertificateArn, ...errors(400, 404) },
      },
    },
    async (request) =>
      certificates.import({ ...request.body, certificateArn: certificates.arnOf(request.params.id) }),
  );

  app.get(
    "/certificates/:id/pem",
    {
      schema: {
        tags,
        summary: "GetCertificate (certificate and chain; never the private key)",
        params: CertificateIdParams,
        response: { 200: CertificatePem, ...errors(400, 404) },
      },
    },
    async (request) => certificates.get(certificates.arnOf(request.params.id)),
  );

  app.delete(
    "/certificates/:id",
    {
      schema: {
        tags,
        summary: "DeleteCertificate (409 ResourceInUseException while a listener uses it)",
        params: CertificateIdParams,
        response: { 204: Type.Null(), ...errors(400, 404, 409) },
      },
    },
    async (request, reply) => {
      certificates.delete(certificates.arnOf(request.params.id));
      return reply.code(204).send(null);
    },
  );

  app.get(
    "/certificates/:id/tags",
    {
      schema: {
        tags,
        summary: "ListTagsForCertificate",
        params: CertificateIdParams,
        response: { 200: TagsResponse, ...errors(400, 404) },
      },
    },
    async (request) => ({ tags: certificates.listTags(certificates.arnOf(request.params.id)) }),
  );

  app.post(
    "/certificates/:id/tags",
    {
      schema: {
        tags,
        summary: "AddTagsToCertificate (a tag with an existing key replaces its value)",
        params: CertificateIdParams,
        body: TagsBody,
        response: { 200: TagsResponse, ...errors(400, 404) },
      },
    },
    async (request) => {
      const arn = certificates.arnOf(request.params.id);
      certificates.addTags(arn, request.body.tags);
      return { tags: certificates.listTags(arn) };
    },
  );

  app.delete(
    "/certificates/:id/tags",
    {
      schema: {
        tags,
        summary: "RemoveTagsFromCertificate, by key (`?key=a&key=b`)",
        params: CertificateIdParams,
        querystring: TagKeysQuery,
        response: { 200: TagsResponse, ...errors(400, 404) },
      },
    },
    async (request) => {
      const arn = certificates.arnOf(request.params.id);
      certificates.removeTags(
        arn,
        request.query.key.map((key) => ({ key })),
      );
      return { tags: certificates.listTags(arn) };
    },
  );

  app.get(
    "/certificate-authority.pem",
    {
      schema: {
        tags,
        summary: "The local CA's certificate (PEM): trust it to verify requested certificates",
        response: { 200: Type.String({ description: "PEM certificate" }) },
      },
    },
    async (_request, reply) => reply.type("application/x-pem-file").send(certificates.authorityPem()),
  );
};
