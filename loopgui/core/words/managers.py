"""What manages a program, in words: what it is, whether closing brings it back, and the proper way to stop it.

Rendered from :class:`loopgui.core.programs.managers.Manager`; the commands are its evidence (already quoted for
their shell) and are placeholders here, never translated.
"""

from __future__ import annotations

from loopgui.core.programs.managers import Manager, ManagerKind
from loopgui.core.words.i18n import _


def summary_text(m: Manager) -> str:
    """What manages it, and whether closing it may just bring it back."""
    kind = m.kind
    if kind is ManagerKind.KUBERNETES:
        if m.pod and m.container:
            return _(
                "This program runs in a Kubernetes container (pod {pod}, container {container}); Kubernetes starts "
                "it again when it ends."
            ).format(pod=m.pod, container=m.container)
        if m.pod:
            return _(
                "This program runs in a Kubernetes container (pod {pod}); Kubernetes starts it again when it ends."
            ).format(pod=m.pod)
        return _(
            "This program runs in a Kubernetes container (container {container}); Kubernetes starts it again when it "
            "ends."
        ).format(container=m.container or m.name)
    if kind is ManagerKind.DOCKER:
        return _(
            "This program runs in the Docker container {container}; if the container is set to restart, Docker starts "
            "it again."
        ).format(container=m.name)
    if kind is ManagerKind.PODMAN:
        return _("This program runs in the Podman container {container}.").format(container=m.name)
    if kind is ManagerKind.CONTAINERD:
        return _("This program runs in the container {container} (containerd).").format(container=m.name)
    if kind is ManagerKind.FLATPAK:
        return _("This is the Flatpak app {app}.").format(app=m.name)
    if kind is ManagerKind.SNAP:
        if m.service:
            return _(
                "This is the background service {service} of the snap package {package}; closing it may just make the "
                "system start it again."
            ).format(service=m.service, package=m.name)
        return _("This program comes from the snap package {package}.").format(package=m.name)
    if kind is ManagerKind.SYSTEMD_USER:
        return _("This is the service {unit} of your session; closing it may just make it start again.").format(
            unit=m.name
        )
    if kind is ManagerKind.SYSTEMD:
        return _("This is the service {unit}; closing it may just make the system start it again.").format(unit=m.name)
    if kind is ManagerKind.DOCKER_PROXY:
        if m.host_port and m.name and m.target_port:
            return _(
                "This is Docker's port forwarder: it passes port {port} of this computer on to port {target_port} of "
                "the Docker container at {address}. Docker starts it again with the container, and closing it only "
                "breaks that container's published port."
            ).format(port=m.host_port, target_port=m.target_port, address=m.name)
        if m.host_port:
            return _(
                "This is Docker's port forwarder: it passes port {port} of this computer on to a Docker container. "
                "Docker starts it again with the container, and closing it only breaks that container's published "
                "port."
            ).format(port=m.host_port)
        return _(
            "This is Docker's port forwarder: it passes a port of this computer on to a Docker container. Docker "
            "starts it again with the container, and closing it only breaks that container's published port."
        )
    if kind is ManagerKind.WINDOWS_SERVICE:
        if m.display:
            return _("This is the Windows service {display} ({service}); Windows may start it again.").format(
                display=m.display, service=m.name
            )
        return _("This is the Windows service {service}; Windows may start it again.").format(service=m.name)
    if m.system_service:  # launchd
        return _("This is the macOS background job {label}; launchd may start it again.").format(label=m.name)
    return _("This is the background job {label} of your session; launchd may start it again.").format(label=m.name)


def instead_text(m: Manager) -> str:
    """The proper way to stop it (its commands as they are, never translated), or "" when there is none."""
    kind, command = m.kind, m.stop_command
    helper = m.commands[1] if len(m.commands) > 1 else ""
    if kind is ManagerKind.WINDOWS_SERVICE:
        if command:
            return _(
                "Stop the service instead in the Services app, or in an administrator Command Prompt: `{command}`."
            ).format(command=command)
        return _(
            "Stop the service instead in the Services app, or in an administrator Command Prompt with `sc stop` and "
            "the service's name."
        )
    if not command:
        return ""
    if kind is ManagerKind.KUBERNETES:
        return _(
            "Change the workload instead, for example scale its deployment down with `{command}` (`{list_command}` "
            "shows which one; it needs the cluster's permissions)."
        ).format(command=command, list_command=helper)
    if kind is ManagerKind.DOCKER_PROXY:
        if m.host_port:
            return _(
                "Stop the container instead: `{list_command}` shows which container publishes port {port}; then "
                "`{command}` (needs administrator rights or the docker group)."
            ).format(list_command=helper, port=m.host_port, command=command)
        return _(
            "Stop the container instead: `{list_command}` shows which container publishes a port; then `{command}` "
            "(needs administrator rights or the docker group)."
        ).format(list_command=helper, command=command)
    if kind in (ManagerKind.DOCKER, ManagerKind.PODMAN, ManagerKind.CONTAINERD):
        if kind is ManagerKind.CONTAINERD:
            return _(
                "Stop the container with the tool that started it instead, for example `{command}` (needs "
                "administrator rights)."
            ).format(command=command)
        if kind is ManagerKind.DOCKER:
            return _(
                "Stop the container instead: `{command}` (needs administrator rights or the docker group)."
            ).format(command=command)
        if m.needs_admin:
            return _("Stop the container instead: `{command}` (needs administrator rights).").format(command=command)
        return _("Stop the container instead: `{command}`.").format(command=command)
    if kind is ManagerKind.FLATPAK:
        return _("Close it from its own window, or run `{command}`.").format(command=command)
    if kind is ManagerKind.LAUNCHD:
        if m.needs_admin:
            return _("Stop the job instead: `{command}` (needs administrator rights).").format(command=command)
        return _("Stop the job instead: `{command}`.").format(command=command)
    if m.needs_admin:  # systemd, a snap service
        return _("Stop the service instead: `{command}` (needs administrator rights).").format(command=command)
    return _("Stop the service instead: `{command}`.").format(command=command)


def manager_text(m: Manager) -> str:
    """What manages it and the proper way to stop it: one or two whole sentences."""
    summary, instead = summary_text(m), instead_text(m)
    return f"{summary} {instead}" if instead else summary
