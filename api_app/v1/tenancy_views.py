"""Tenants in the v1 API: scoped tokens (staff only; the key is shown once, when made) and each
namespace's webhook signing secret (scoped like everything else). Views parse, call one service,
and render."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api_app.permissions import ApiAccess, StaffOnly
from api_app.v1.serializers import StrictSerializer
from tasks_app import selectors
from tasks_app.models import ApiClient, SigningSecret
from tasks_app.services import signing, tenancy


class TokenInputSerializer(StrictSerializer):
    name = serializers.CharField(max_length=100)
    namespaces = serializers.ListField(child=serializers.CharField(max_length=200), min_length=1)
    # The wire name; DRF takes declared fields off the class, so Field.read_only is untouched.
    read_only = serializers.BooleanField(required=False, default=False)  # type: ignore[assignment]
    rate = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    max_jobs = serializers.IntegerField(required=False, allow_null=True, min_value=0, default=None)


class TokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiClient
        fields = ["id", "name", "key_prefix", "namespaces", "read_only", "rate", "max_jobs", "created_at"]
        read_only_fields = fields


class CreatedTokenSerializer(TokenSerializer):
    key = serializers.CharField(read_only=True, help_text="shown only here, once")

    class Meta(TokenSerializer.Meta):
        fields = [*TokenSerializer.Meta.fields, "key"]
        read_only_fields = fields


class TokenViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = TokenSerializer
    permission_classes = [ApiAccess, StaffOnly]
    http_method_names = ["get", "post", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[ApiClient]:
        return selectors.api_clients()

    @extend_schema(request=TokenInputSerializer, responses={201: CreatedTokenSerializer})
    def create(self, request: Request) -> Response:
        serializer = TokenInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        client, key = tenancy.create_api_client(**serializer.validated_data)
        return Response({**TokenSerializer(client).data, "key": key}, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, pk: str) -> Response:
        tenancy.revoke_api_client(client=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class SigningSecretSerializer(serializers.ModelSerializer):
    previous_secret_valid_until = serializers.DateTimeField(source="previous_valid_until", read_only=True)

    class Meta:
        model = SigningSecret
        fields = ["namespace", "secret", "previous_secret_valid_until"]
        read_only_fields = fields


class SigningSecretView(APIView):
    @extend_schema(request=None, responses=SigningSecretSerializer)
    def get(self, request: Request, namespace: str) -> Response:
        return Response(SigningSecretSerializer(signing.signing_secret(namespace=namespace)).data)


class RotateSigningSecretView(APIView):
    @extend_schema(request=None, responses=SigningSecretSerializer)
    def post(self, request: Request, namespace: str) -> Response:
        return Response(SigningSecretSerializer(signing.rotate_signing_secret(namespace=namespace)).data)
